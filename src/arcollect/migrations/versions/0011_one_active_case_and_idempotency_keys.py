"""one active dispute per invoice, one open escalation per account and action, idempotency keys

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 10:45:00.000000

Databases upgraded from before may hold duplicates that concurrent submissions created. They are kept,
never deleted: of several active disputes on one invoice the oldest holds the invoice (the others stay
active in their workflow but no longer block; resolving them is enough); of several open escalations of
one account, currency and action the oldest stays open and the later ones are cancelled (audited).
"""
import datetime as dt
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import arcollect.db


revision: str = '0011'
down_revision: Union[str, None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

ACTIVE = "('open', 'in_review', 'waiting_internal', 'waiting_customer')"
OPEN = "status IN ('proposed', 'approved')"


def upgrade() -> None:
    op.create_table('idempotency_keys',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('login', sa.String(length=128), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('request', sa.String(length=600), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Integer(), nullable=True),
    sa.Column('headers', sa.JSON(), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', arcollect.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('completed_at', arcollect.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('login', 'key', name='uq_idempotency_keys_login_key')
    )
    op.create_index('ix_idempotency_keys_created_at', 'idempotency_keys', ['created_at'], unique=False)

    op.add_column('dispute_items', sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False))
    op.execute(f"UPDATE dispute_items SET active = false WHERE dispute_pk IN "
               f"(SELECT id FROM disputes WHERE status NOT IN {ACTIVE})")
    op.execute("UPDATE dispute_items SET active = false WHERE active AND EXISTS (SELECT 1 FROM dispute_items AS older "
               "WHERE older.invoice_pk = dispute_items.invoice_pk AND older.active "
               "AND older.dispute_pk < dispute_items.dispute_pk)")
    op.create_index('uq_dispute_items_active_invoice', 'dispute_items', ['invoice_pk'], unique=True,
                    sqlite_where=sa.text('active'), postgresql_where=sa.text('active'))

    bind = op.get_bind()
    later = bind.execute(sa.text(
        f"SELECT e.id, e.status FROM escalations e WHERE e.{OPEN} AND EXISTS (SELECT 1 FROM escalations o "
        f"WHERE o.customer_pk = e.customer_pk AND o.currency = e.currency AND o.action = e.action "
        f"AND o.{OPEN} AND o.id < e.id) ORDER BY e.id")).all()
    now = dt.datetime.now(dt.timezone.utc)
    audit = sa.table('audit_log', sa.column('at', arcollect.db.UTCDateTime()), sa.column('actor', sa.String()),
                     sa.column('action', sa.String()), sa.column('entity', sa.String()),
                     sa.column('entity_key', sa.String()), sa.column('changes', sa.JSON()))
    for pk, status in later:
        bind.execute(sa.text("UPDATE escalations SET status = 'cancelled', decision_note = :note WHERE id = :pk"),
                     {"pk": pk, "note": "duplicate of an older open escalation (cancelled on upgrade)"})
        bind.execute(audit.insert().values(at=now, actor='migration 0011', action='cancelled', entity='escalation',
                                           entity_key=str(pk), changes={"status": [status, "cancelled"],
                                                                        "why": "duplicate"}))
    op.create_index('uq_escalations_open_action', 'escalations', ['customer_pk', 'currency', 'action'], unique=True,
                    sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))


def downgrade() -> None:
    op.drop_index('uq_escalations_open_action', table_name='escalations',
                  sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))
    op.drop_index('uq_dispute_items_active_invoice', table_name='dispute_items',
                  sqlite_where=sa.text('active'), postgresql_where=sa.text('active'))
    with op.batch_alter_table('dispute_items', schema=None) as batch_op:
        batch_op.drop_column('active')
    op.drop_index('ix_idempotency_keys_created_at', table_name='idempotency_keys')
    op.drop_table('idempotency_keys')
