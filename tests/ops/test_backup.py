"""`arcollect backup` / `restore` on both databases: a backup restored into a fresh database gives the same
aging to the cent; restore refuses a database holding data unless --force, refuses files that are not
backups, and leaves the database as it was when it refuses."""

from __future__ import annotations

import json
import os

import pytest

from tests.conftest import Cli, write_csv

AS_OF = "2026-11-23"


def _aging(cli) -> list:  # noqa: ANN001
    out = []
    for by in ("customer", "currency", "total"):
        r = cli("aging", "--as-of", AS_OF, "--by", by, "--format", "json")
        assert r.exit_code == 0, r.output
        out.append(json.loads(r.stdout))
    return out


@pytest.fixture
def fresh_url(db_url, tmp_path, request):  # noqa: ANN001
    """A second, empty database of the same backend, without any schema yet."""
    if db_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'restored.db'}"
    cluster = request.getfixturevalue("pg_cluster")
    return cluster.create_database(f"arcollect_restore_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}")


def _loaded(cli) -> list:  # noqa: ANN001
    r = cli("demo", "--customers", "25", "--seed", "7", "--as-of", AS_OF)
    assert r.exit_code == 0, r.output
    return _aging(cli)


def test_a_backup_restored_into_a_fresh_database_gives_the_same_aging_to_the_cent(cli, clock, fresh_url, tmp_path):  # noqa: ANN001
    before = _loaded(cli)
    assert before[2]["rows"] and before[0]["rows"]
    target = tmp_path / "book.backup"
    r = cli("backup", str(target))
    assert r.exit_code == 0, r.output
    assert target.is_file() and "written to" in r.stdout
    fresh = Cli(fresh_url, clock)
    r = fresh("restore", str(target))
    assert r.exit_code == 0, r.output
    assert _aging(fresh) == before
    assert fresh("doctor").exit_code == 0


def test_a_backup_never_overwrites_a_file(cli, tmp_path):  # noqa: ANN001
    target = tmp_path / "exists.backup"
    target.write_bytes(b"keep me")
    r = cli("backup", str(target))
    assert r.exit_code == 1 and "exists already" in r.stderr
    assert target.read_bytes() == b"keep me"


def test_restore_over_data_needs_force_and_then_replaces_everything(cli, tmp_path):  # noqa: ANN001
    before = _loaded(cli)
    target = tmp_path / "book.backup"
    assert cli("backup", str(target)).exit_code == 0
    write_csv(tmp_path / "c.csv", "customer_id,name,currency", "LATE-1,Added After,EUR")  # more data after it
    write_csv(tmp_path / "i.csv", "invoice_id,customer_id,issue_date,due_date,amount,currency",
              "LATE-INV-1,LATE-1,2026-10-01,2026-10-31,1234.56,EUR")
    assert cli("import", "customers", str(tmp_path / "c.csv")).exit_code == 0
    assert cli("import", "invoices", str(tmp_path / "i.csv")).exit_code == 0
    changed = _aging(cli)
    assert changed != before
    refused = cli("restore", str(target))
    assert refused.exit_code == 1 and "holds data" in refused.stderr and "--force" in refused.stderr
    assert _aging(cli) == changed  # untouched
    r = cli("restore", str(target), "--force")
    assert r.exit_code == 0, r.output
    assert _aging(cli) == before


def test_restore_refuses_a_file_that_is_no_backup_and_changes_nothing(cli, tmp_path, db_url):  # noqa: ANN001
    before = _loaded(cli)
    junk = tmp_path / "notes.txt"
    junk.write_text("not a backup\n", encoding="utf-8")
    r = cli("restore", str(junk), "--force")
    assert r.exit_code == 1 and "notes.txt: not an arcollect backup" in r.stderr
    missing = cli("restore", str(tmp_path / "nowhere.backup"))
    assert missing.exit_code == 1 and "no such backup file" in missing.stderr
    target = tmp_path / "book.backup"
    assert cli("backup", str(target)).exit_code == 0
    damaged = tmp_path / "damaged.backup"
    damaged.write_bytes(target.read_bytes()[: len(target.read_bytes()) // 3])
    r = cli("restore", str(damaged), "--force")
    assert r.exit_code == 1 and "damaged.backup" in r.stderr, r.output
    assert _aging(cli) == before


def test_a_backup_of_one_database_kind_is_refused_by_the_other(cli, tmp_path, db_url):  # noqa: ANN001
    fake = tmp_path / "other.backup"
    fake.write_bytes(b"PGDMP" + b"\0" * 64 if db_url.startswith("sqlite") else b"SQLite format 3\x00" + b"\0" * 84)
    r = cli("restore", str(fake))
    assert r.exit_code == 1
    assert ("is a postgresql backup; the database is sqlite" in r.stderr if db_url.startswith("sqlite")
            else "is a sqlite backup; the database is postgresql" in r.stderr)
