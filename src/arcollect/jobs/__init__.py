"""Background jobs: procrastinate tasks and schedules on PostgreSQL (several workers); in-process on SQLite."""
