"""Reports: AR metrics (DSO, CEI, …), the roll-forward, recurring causes, the portfolio report — pure modules and one service."""
