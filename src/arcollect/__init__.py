"""arcollect — open-source accounts-receivable collections platform."""

__version__ = "0.1.0"
