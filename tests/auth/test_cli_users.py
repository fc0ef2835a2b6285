"""`arcollect user|token|portfolio` and the auth services behind them."""

from __future__ import annotations

from arcollect.auth import service as auth
from arcollect.errors import NotAuthenticated


def test_user_add_prints_a_password_once_and_it_works(cli, ctx):
    r = cli("user", "add", "alice", "--role", "collector", "--team", "emea")
    assert r.exit_code == 0, r.output
    password = r.stdout.strip().splitlines()[-1].split(": ", 1)[1]
    principal, _ = auth.authenticate_password(ctx, login="alice", password=password)
    assert principal.role == "collector" and principal.team == "emea"
    listed = cli("user", "list", "--json")
    assert password not in listed.stdout and '"login": "alice"' in listed.stdout
    assert cli("user", "add", "alice", "--role", "viewer").exit_code == 1


def test_user_add_password_stdin_and_validation(cli, ctx):
    r = cli.runner.invoke(__import__("arcollect.cli.main", fromlist=["app"]).app,
                          ["--db", cli.db_url, "user", "add", "bob", "--role", "manager", "--password-stdin"],
                          input="a long enough secret\n")
    assert r.exit_code == 0, r.output
    assert "password" not in r.stdout.split("\n", 1)[1]
    assert auth.authenticate_password(ctx, login="bob", password="a long enough secret")[0].role == "manager"
    bad_role = cli("user", "add", "carl", "--role", "boss")
    assert bad_role.exit_code == 1 and "role 'boss'" in bad_role.stderr
    bad_login = cli("user", "add", "Bad Login!", "--role", "viewer")
    assert bad_login.exit_code == 1 and "login" in bad_login.stderr


def test_user_disable_ends_logins_and_tokens(cli, ctx):
    cli("user", "add", "dana", "--role", "viewer")
    token = cli("token", "create", "dana").stdout.strip().splitlines()[-1]
    assert auth.authenticate_token(ctx, token=token).login == "dana"
    assert cli("user", "disable", "dana").exit_code == 0
    try:
        auth.authenticate_token(ctx, token=token)
        raise AssertionError("a disabled user's token still works")
    except NotAuthenticated:
        pass
    assert cli("user", "disable", "nobody").exit_code == 1


def test_token_create_prints_the_token_alone_on_the_last_line_and_revoke(cli, ctx):
    cli("user", "add", "erin", "--role", "cash_app")
    r = cli("token", "create", "erin", "--name", "bank sync")
    assert r.exit_code == 0
    token = r.stdout.rstrip("\n").splitlines()[-1]
    assert token.startswith("arc_") and " " not in token
    token_id = r.stdout.split()[1]
    assert auth.authenticate_token(ctx, token=token).role == "cash_app"
    listed = cli("token", "list")
    assert token not in listed.stdout and "erin" in listed.stdout
    assert cli("token", "revoke", token_id).exit_code == 0
    assert cli("token", "revoke", token_id).exit_code == 1  # already revoked
    assert cli("token", "revoke", "999").exit_code == 1
    try:
        auth.authenticate_token(ctx, token=token)
        raise AssertionError("a revoked token still works")
    except NotAuthenticated:
        pass


def test_portfolio_assign_moves_customers_all_or_nothing(cli, ctx, tmp_path):
    from tests.conftest import write_csv

    write_csv(tmp_path / "c.csv", "customer_id,name,currency,collector", "A1,Acme,USD,", "B1,Beta,USD,", "C1,Gamma,USD,")
    assert cli("import", "customers", str(tmp_path / "c.csv")).exit_code == 0
    cli("user", "add", "fred", "--role", "collector")
    cli("user", "add", "gina", "--role", "viewer", "--team", "west")
    r = cli("portfolio", "assign", "--collector", "fred", "A1", "B1")
    assert r.exit_code == 0 and "2 of 2" in r.stdout
    missing = cli("portfolio", "assign", "--collector", "fred", "C1", "ZZ")
    assert missing.exit_code == 1 and "ZZ" in missing.stderr
    not_collector = cli("portfolio", "assign", "--collector", "gina", "C1")
    assert not_collector.exit_code == 1 and "not an active collector" in not_collector.stderr
    assert cli("portfolio", "assign", "--team", "west", "C1").exit_code == 0
    from arcollect.ledger import service as ledger

    rows = {c["customer_id"]: (c["collector"], c["team"])
            for c in ledger.list_customers(ctx, scope=ledger.EVERYTHING)[0]}
    assert rows == {"A1": ("fred", None), "B1": ("fred", None), "C1": (None, "west")}


def test_demo_with_users_creates_logins_once(cli, ctx):
    r = cli("demo", "--customers", "12", "--with-users")
    assert r.exit_code == 0, r.output
    lines = [l for l in r.stdout.splitlines() if l.startswith("demo ")]
    creds = {l.split()[1].rstrip(":"): (l.split()[3], l.split()[5]) for l in lines if "password" in l}
    assert set(creds) == {"admin", "collector"}
    login, password = creds["collector"]
    principal, _ = auth.authenticate_password(ctx, login=login, password=password)
    assert principal.scope.collectors == (login,)
    from arcollect.ledger import service as ledger

    assert ledger.list_customers(ctx, scope=principal.scope)[1] > 0
    again = cli("demo", "--if-empty", "--with-users")
    assert again.exit_code == 0 and "demo users exist already" in again.stdout
    assert password not in again.stdout
