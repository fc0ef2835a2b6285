"""Reports: metrics, roll-forward, causes."""
