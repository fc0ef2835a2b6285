"""API schemas (XRead, XUpdate, …): money as strings with the currency's digits, dates ISO."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from arcollect.auth.service import LOGIN_PATTERN
from arcollect.email_address import EMAIL_PATTERN
from arcollect.email_address import MAX_LENGTH as MAX_EMAIL_LENGTH
from arcollect.money import money_str

T = TypeVar("T")
Role = Literal["admin", "manager", "collector", "cash_app", "stakeholder", "viewer"]


def money(value: Decimal | None, currency: str) -> str | None:
    return None if value is None else money_str(value, currency)


def moneyed(item: dict[str, Any], *fields: str) -> dict[str, Any]:
    out = dict(item)
    for f in fields:
        out[f] = money(out.get(f), out["currency"])
    return out


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int = Field(description="How many items match the filters (all pages)")
    limit: int
    offset: int


class CustomerRead(BaseModel):
    customer_id: str
    name: str
    currency: str
    payment_terms_days: int | None = None
    credit_limit: str | None = None
    country: str | None = None
    timezone: str | None = None
    language: str | None = None
    segment: str | None = None
    collector: str | None = None
    team: str | None = None
    email: str | None = None
    phone: str | None = None
    risk: Literal["low", "medium", "high"] | None = None
    do_not_contact: bool = False
    credit_hold: bool = False


class CustomerDetail(CustomerRead):
    as_of: dt.date
    parent_id: str | None = None
    children: list[str] = []
    open_balance: dict[str, str] = Field(description="Σ open invoice amounts per currency")
    unapplied_cash: dict[str, str] = {}
    unapplied_credits: dict[str, str] = {}
    payment_outlook: dict[str, Any] | None = Field(
        None, description="Once a payment-prediction model is trained: per open invoice its expected_date, "
        "p_late and factors in plain words, the account's strongest factors and the model used; null before")


def _timezones() -> list[str]:
    import zoneinfo

    return sorted(zoneinfo.available_timezones())


def _languages() -> list[str]:
    from babel import localedata

    return sorted({tag.replace("_", "-") for tag in localedata.locale_identifiers() if "-" not in tag})


# Documented here, checked by the services, so that every bad field is reported at once in plain words.
Email = Annotated[str, Field(max_length=MAX_EMAIL_LENGTH, json_schema_extra={"pattern": EMAIL_PATTERN})]
Login = Annotated[str, Field(json_schema_extra={"pattern": LOGIN_PATTERN},
                             description="2–64 characters: lowercase letters, digits and . _ @ -")]
TimeZone = Annotated[str, Field(json_schema_extra=lambda s: s.update(enum=_timezones()),
                                description="IANA time zone, e.g. Europe/Paris")]
Language = Annotated[str, Field(json_schema_extra=lambda s: s.update(enum=_languages()),
                                description="BCP 47 language tag, e.g. en, de-CH")]


class CustomerUpdate(BaseModel):
    """Contact details the collections team may correct; null clears a field. The ERP owns the rest."""

    model_config = ConfigDict(extra="forbid")
    email: Email | None = None
    phone: Annotated[str, Field(max_length=64)] | None = None
    language: Language | None = None
    timezone: TimeZone | None = None
    risk: Literal["low", "medium", "high"] | None = None
    do_not_contact: bool = Field(False, description="no emails, calls or letters")
    credit_hold: bool = False


class CustomerRef(BaseModel):
    customer_id: str
    name: str


class HierarchyRead(BaseModel):
    customer_id: str
    name: str
    ancestors: list[CustomerRef]
    children: list[CustomerRef]


class ContactRead(BaseModel):
    email: str
    name: str | None = None
    phone: str | None = None
    role: str
    language: str | None = None
    primary: bool


class InvoiceRead(BaseModel):
    invoice_id: str
    customer_id: str | None
    currency: str
    amount: str
    open_amount: str
    issue_date: dt.date
    due_date: dt.date
    days_past_due: int
    po_number: str | None = None
    description: str | None = None


class CreditNoteRead(BaseModel):
    credit_note_id: str
    customer_id: str | None
    currency: str
    amount: str
    open_amount: str = Field(description="Unapplied part on the as-of date")
    issue_date: dt.date
    reason: str | None = None
    applies_to: str | None = None


class PaymentRead(BaseModel):
    payment_id: str
    customer_id: str | None = Field(description="None: unidentified cash")
    currency: str
    amount: str
    open_amount: str = Field(description="Unapplied part on the as-of date")
    received_date: dt.date
    reference: str | None = None
    payer_name: str | None = None
    applies_to: str | None = None


class ApplicationRead(BaseModel):
    id: int
    invoice_id: str
    payment_id: str | None = None
    credit_note_id: str | None = None
    write_off_id: int | None = None
    amount: str = Field(description="Negative for a reversal")
    currency: str
    applied_on: dt.date
    reverses: int | None = None
    source: str
    created_by: str


class AgingRowRead(BaseModel):
    model_config = ConfigDict(extra="allow")  # one field per bucket, named as in "buckets"
    key: str
    name: str
    currency: str
    total: str
    unapplied_cash: str
    unapplied_credits: str
    net_balance: str
    disputed: str = Field(description="the part of the total under an open dispute (inside the buckets too)")


class AgingTotalRead(BaseModel):
    model_config = ConfigDict(extra="allow")
    currency: str
    total: str
    unapplied_cash: str
    unapplied_credits: str
    net_balance: str
    disputed: str
    unidentified_cash: str


class AgingRead(BaseModel):
    as_of: dt.date
    basis: Literal["due", "issue"]
    by: str
    buckets: list[str]
    rows: list[AgingRowRead]
    totals: list[AgingTotalRead]


class ImportRead(BaseModel):
    kind: str
    file_name: str
    committed: bool = Field(description="False for a dry run or when errors rolled everything back")
    created: int
    updated: int
    unchanged: int
    rejected: int
    errors: list[str] = Field(description="FILE:LINE: column: message, one per problem")
    warnings: list[str]


class UserRead(BaseModel):
    login: str
    name: str | None = None
    email: str | None = None
    role: Role
    team: str | None = None
    active: bool
    created_at: dt.datetime
    last_login_at: dt.datetime | None = None


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    login: Login
    role: Role
    team: str | None = Field(None, min_length=1, max_length=64)
    name: str | None = Field(None, max_length=256)
    email: Email | None = None
    password: str | None = Field(None, min_length=10, max_length=256,
                                 description="Omit to have a random password generated and returned once")


class UserCreated(UserRead):
    password: str | None = Field(None, description="The generated password, shown once")


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role | None = None
    team: str | None = Field(None, min_length=1, max_length=64)
    active: bool | None = None
    name: str | None = Field(None, max_length=256)
    email: Email | None = None


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    login: str = Field(min_length=2, max_length=64)
    name: str | None = Field(None, max_length=128)


class TokenRead(BaseModel):
    id: int
    login: str
    name: str | None = None
    prefix: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None = None
    active: bool


class TokenCreated(TokenRead):
    token: str = Field(description="The secret, shown once: send it as Authorization: Bearer TOKEN")


class PortfolioAssign(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_ids: list[str] = Field(min_length=1, max_length=10000)
    collector: str | None = Field(None, max_length=64)
    team: str | None = Field(None, max_length=64)


class PortfolioAssigned(BaseModel):
    changed: int


class MeRead(BaseModel):
    login: str
    role: Role
    team: str | None = None
    permissions: list[str]


class Health(BaseModel):
    status: Literal["ok"]
