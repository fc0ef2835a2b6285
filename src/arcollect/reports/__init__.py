"""Reports: AR metrics (DSO, CEI, …), the roll-forward, recurring causes — pure modules and one service."""
