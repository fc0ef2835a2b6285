"""Operations: backup and restore, the ledger doctor, readiness checks (docs/operations.md)."""
