"""Configuration: one Settings object (env prefix ARCOLLECT_, optional TOML settings file)."""

from __future__ import annotations

import os
from pathlib import Path
from decimal import Decimal
from typing import Any, Literal

from platformdirs import user_data_dir
from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


def _default_home() -> Path:
    return Path(user_data_dir("arcollect", appauthor=False))


def _settings_file() -> Path | None:
    # The only place besides Settings itself that looks at the environment: where the file is.
    explicit = os.environ.get("ARCOLLECT_SETTINGS_FILE")
    if explicit:
        return Path(explicit)
    home = os.environ.get("ARCOLLECT_HOME")
    candidate = (Path(home) if home else _default_home()) / "settings.toml"
    return candidate if candidate.exists() else None


class Settings(BaseSettings):
    """Every setting arcollect reads. Keys are fixed by CONTRACT §7; new ones may be added."""

    model_config = SettingsConfigDict(env_prefix="ARCOLLECT_", extra="ignore")

    home: Path = Field(default_factory=_default_home)
    database_url: str | None = None
    base_currency: str = "USD"
    company_name: str = "arcollect demo company"
    timezone: str = "UTC"
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    mail_from: str = "collections@example.com"
    mail_bcc: str | None = None
    mail_reply_to: str | None = None
    # Dunning: bank details printed under the open items; messages per minute at most.
    payment_instructions: str = ""
    # Letters and statements (PDF): the letterhead's address lines; paper A4, Letter or auto (by country).
    company_address: str = ""
    letter_paper: str = "auto"
    smtp_rate_per_minute: int = 60
    imap_host: str | None = None
    imap_port: int = 143
    imap_user: str | None = None
    imap_password: str | None = None
    imap_folder: str = "INBOX"
    imap_processed_folder: str = "Processed"
    imap_ssl: bool = False
    # Dispute reason codes added to the defaults: "code:Label,code:Label".
    dispute_reasons: str = ""
    # The web app's address as users reach it, for links in notification emails (e.g. https://ar.example.com).
    public_url: str = "http://127.0.0.1:8000"
    sql_echo: bool = False
    # Database connections each process keeps open (plus half as many more in a burst). Unset: 5 for the
    # CLI; `arcollect serve --workers N` sizes it to the workers (db.pool_size_for: ~60 connections in all).
    db_pool_size: int | None = Field(default=None, ge=1, le=200)
    # Bounded work per request (docs/security.md "Limits"). Message templates: the longest rendered
    # message (characters) and the longest render (seconds), for previews, queueing, sends and letters.
    template_max_output: int = Field(default=1_000_000, ge=1000)
    template_max_seconds: float = Field(default=5.0, gt=0)
    # Imports (CLI, API, web): columns, characters per cell and per row, the .xlsx zip unpacked (bytes) and
    # its compression ratio; uploads: bytes per request (checked while receiving) and how long an upload
    # that was checked but never confirmed is kept (hours).
    import_max_columns: int = Field(default=500, ge=10)
    import_max_cell: int = Field(default=32_768, ge=256)
    import_max_row: int = Field(default=262_144, ge=1024)
    import_max_xlsx_uncompressed: int = Field(default=1 << 30, ge=1 << 20)
    import_max_xlsx_ratio: int = Field(default=200, ge=10)
    upload_max_bytes: int = Field(default=200 * 1024 * 1024, ge=1024)
    upload_keep_hours: float = Field(default=24.0, gt=0)
    # `arcollect serve`: on SIGTERM, how long requests in progress may finish (seconds); then a long
    # import still running is stopped and rolled back.
    shutdown_grace_seconds: float = Field(default=30.0, ge=0)
    # Operations (docs/operations.md). /metrics answers only a request carrying `Authorization: Bearer
    # METRICS_TOKEN`; unset, /metrics is off (404). /readyz: workers count as seen when their heartbeat is
    # this recent, and at least this many must be seen (0: workers are reported, not required).
    metrics_token: str | None = None
    ready_worker_seconds: float = Field(default=120.0, gt=0)
    ready_min_workers: int = Field(default=0, ge=0)
    # `arcollect backup`/`restore` on PostgreSQL: the directory of pg_dump/pg_restore (default: Debian's
    # newest /usr/lib/postgresql/*/bin, else the PATH).
    pg_bin_dir: Path | None = None
    # Idempotency keys (API Idempotency-Key header, forms): how long a key is remembered, how long a retry
    # waits for the first request still running (then 409), and the largest body a keyed request may carry.
    idempotency_key_hours: int = Field(24, ge=1, le=24 * 30)
    idempotency_wait_seconds: float = Field(30.0, ge=0, le=600)
    idempotency_max_body: int = Field(32 * 1024 * 1024, ge=1024)
    # Signs web sessions; generated once into HOME/secret_key when not set.
    secret_key: str | None = None
    # Mark cookies Secure (set it behind HTTPS; sessions on plain http://127.0.0.1 need it off).
    cookie_secure: bool = False
    # A web session ends this many hours after sign-in (sooner on sign-out, disable or password change).
    session_hours: int = Field(12, ge=1, le=24 * 30)

    # Cash application (docs/cashapp.md): a line is applied at once when the matcher's confidence reaches
    # the threshold; short pays within the fee (an amount) or the discount (percent of the items) tolerance
    # count as paid in full by the matcher; the residual stays open ("leave_open") or becomes a deduction.
    cash_auto_threshold: float = Field(default=0.9, ge=0.0, le=1.0)
    cash_fee_tolerance: Decimal = Field(default=Decimal("25.00"), ge=0)
    cash_discount_tolerance_pct: Decimal = Field(default=Decimal("3"), ge=0, le=100)
    cash_short_pay: Literal["leave_open", "deduction"] = "leave_open"
    # A residual a cash_app user writes off (or a "deduction" short pay) is written off at once up to this
    # amount, else it becomes a write-off escalation for the approval matrix: "5.00" (every currency) or
    # "EUR:5.00,USD:5.00,JPY:500" (per currency; a bare amount as the default). Empty: always approved.
    cash_writeoff_auto_limit: str = ""
    # The web "Match now" runs in the background (with a progress bar) when more lines than this wait.
    cash_match_background_lines: int = Field(default=200, ge=0)
    # A matching run that has reported no progress for this long is taken as dead (its process stopped).
    cash_match_stale_minutes: int = Field(default=15, ge=1, le=24 * 60)
    # An emailed remittance advice attaches to the bank line of its customer (or payer) whose amount is the
    # advice's total within this tolerance, booked within these days of the advice's payment date.
    cash_advice_days: int = Field(default=5, ge=0, le=60)
    cash_advice_tolerance: Decimal = Field(default=Decimal("0.99"), ge=0, le=100)
    # Payment prediction: the daily run (`arcollect worklist`) trains a new model when the stored one is older
    # than this many days (or none is stored) and the ledger has enough settled history.
    predict_retrain_days: int = Field(default=7, ge=1, le=365)
    # Reports (docs/reports.md "Reporting currency"): a CSV file of exchange rates (date,from,to,rate; a
    # relative path is under home) adds a reporting-currency figure to the metrics, the roll-forward and the
    # forecast, in reporting_currency (empty: base_currency). Without the file every figure stays per currency.
    fx_rates_file: Path | None = None
    reporting_currency: str = ""
    # The assistant (docs/assistant.md): its proposals of these kinds are approved at once, without a person,
    # when their confidence reaches the threshold — "record_promise:0.95,log_reply:0.8". Empty (the default):
    # every proposal waits for a person.
    assistant_auto_approve: str = ""

    @field_validator("assistant_auto_approve")
    @classmethod
    def _auto_approve(cls, value: str) -> str:
        for part in value.split(","):
            kind, sep, threshold = part.strip().partition(":")
            if not part.strip():
                continue
            if not sep or not kind.strip().replace("_", "").isalpha():
                raise ValueError(f"{part.strip()!r}: write KIND:THRESHOLD, e.g. record_promise:0.95")
            try:
                number = float(threshold)
            except ValueError:
                raise ValueError(f"{part.strip()!r}: {threshold.strip()!r} is not a number between 0 and 1") from None
            if not 0.0 <= number <= 1.0:
                raise ValueError(f"{part.strip()!r}: the threshold is between 0 and 1")
        return value.strip()

    # Background jobs (docs/operations.md "Workers"). The daily run starts at this local hour in each
    # collector's time zone ("login=Zone,login=Zone"; others: ``timezone``); mail is fetched every N minutes;
    # the weekly portfolio report and the model's retraining follow cron lines (UTC).
    jobs_daily_run_hour: int = Field(default=6, ge=0, le=23)
    jobs_collector_timezones: str = ""
    jobs_mail_fetch_minutes: int = Field(default=5, ge=1, le=60)
    jobs_weekly_report_cron: str = "0 7 * * 1"
    jobs_train_cron: str = "0 3 * * 0"
    # Statement PDFs rendered by jobs go here (default HOME/statements; on several machines, a shared directory),
    # this many per job.
    jobs_statements_dir: Path | None = None
    jobs_statements_chunk: int = Field(default=50, ge=1, le=10_000)
    # Workers (PostgreSQL): a worker's heartbeat every N seconds; a worker silent for longer than the stall
    # timeout is taken as dead, and its running jobs are retried (checked on this cron line; 6 fields: seconds).
    worker_heartbeat_seconds: float = Field(default=10.0, gt=0)
    worker_stalled_seconds: float = Field(default=30.0, gt=0)
    worker_stalled_check_cron: str = "* * * * *"
    # The assistant's optional language model: an OpenAI-compatible chat-completions endpoint (Ollama, vLLM,
    # llama.cpp's server, a hosted API). Off unless LLM_BASE_URL and LLM_MODEL are set; see docs/assistant.md
    # for exactly what is sent. Personal data (addresses, IBANs, phone numbers, contacts' names) is masked
    # before sending unless LLM_MASK is false.
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    llm_timeout_seconds: float = Field(default=20.0, gt=0, le=600)
    llm_mask: bool = True
    llm_max_response_bytes: int = Field(default=200_000, ge=1000, le=10_000_000)

    @field_validator("cash_writeoff_auto_limit")
    @classmethod
    def _writeoff_limits(cls, value: str) -> str:
        from arcollect.money import to_decimal

        for part in value.split(","):
            code, _, amount = part.strip().rpartition(":")
            if not part.strip():
                continue
            if code and not (len(code.strip()) == 3 and code.strip().isalpha()):
                raise ValueError(f"{part.strip()!r}: a currency code (EUR:5.00) or a bare amount")
            try:
                number = to_decimal(amount.strip())
            except (TypeError, ValueError):
                raise ValueError(f"{part.strip()!r}: {amount.strip()!r} is not an amount") from None
            if not number.is_finite() or number < 0:
                raise ValueError(f"{part.strip()!r}: the limit must be zero or more")
        return value.strip()

    @field_validator("jobs_collector_timezones")
    @classmethod
    def _collector_zones(cls, value: str) -> str:
        from zoneinfo import ZoneInfo

        for part in value.split(","):
            if not part.strip():
                continue
            login, sep, zone = part.partition("=")
            if not sep or not login.strip():
                raise ValueError(f"{part.strip()!r}: login=Time/Zone (e.g. ana=Europe/Berlin)")
            try:
                ZoneInfo(zone.strip())
            except Exception:
                raise ValueError(f"{part.strip()!r}: {zone.strip()!r} is not a time zone") from None
        return value.strip()

    @field_validator("base_currency", "reporting_currency")
    @classmethod
    def _upper_currency(cls, value: str) -> str:
        return value.strip().upper()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = _settings_file()
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    @property
    def effective_database_url(self) -> str:
        """The configured database, else the embedded SQLite file under ``home``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.home / 'arcollect.db'}"


def load_settings(**overrides: Any) -> Settings:
    clean = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**clean)
