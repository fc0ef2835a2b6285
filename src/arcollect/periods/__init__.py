"""Month-end close: closed periods, their snapshots, and the lock every ledger write checks."""
