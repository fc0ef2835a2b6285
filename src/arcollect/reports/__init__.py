"""Reports: the portfolio report, metrics, roll-forward and recurring causes (CONTRACT §10)."""
