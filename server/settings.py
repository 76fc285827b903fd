"""Server settings, read from ``LEVEE_*`` environment variables."""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.local_time import DEFAULT_TIMEZONE, zone
from sync.protocol import SERVER_KEEP_ALIVE_S


class Settings(BaseSettings):
    """Everything the server needs to start; every field has a sane default for a laptop demo."""

    model_config = SettingsConfigDict(env_prefix="LEVEE_", extra="ignore")

    data_dir: Path = Field(default=Path("levee-data"), description="where the SQLite file and photos live")
    database_url: str = Field(
        default="",
        description="SQLAlchemy URL; empty means SQLite in data_dir. "
        "For PostgreSQL: postgresql+asyncpg://user@host/db",
    )
    host: str = "127.0.0.1"
    port: int = 8000
    max_body_bytes: int = 8 * 1024 * 1024
    token_ttl_days: int = 180
    log_retention_days: int = 90
    sql_echo: bool = False
    trusted_proxies: str = Field(
        default="",
        description="comma-separated addresses or networks of reverse proxies whose X-Forwarded-For / "
        "X-Forwarded-Proto are believed (e.g. 127.0.0.1 for nginx on the same machine); empty: none, the "
        "client address is the connection's",
    )
    audit_key: SecretStr | None = Field(
        default=None,
        description="the key that seals the audit trail (32+ characters); unset: audit.key in data_dir, "
        "made with mode 600 at first start. Keep it out of the database's backups and reach; every "
        "server of one database needs the same key",
    )
    relay_key: SecretStr | None = Field(
        default=None,
        description="the key the console proves itself with when it names the browser a sign-in comes "
        "from (32+ characters); unset: relay.key in data_dir, made with mode 600 at first start. The "
        "console needs the same key (LEVEE_RELAY_KEY, or it reads the file when it runs beside the server)",
    )
    timezone: str = Field(
        default=DEFAULT_TIMEZONE,
        description="the installation's one time zone (IANA name): the server tells both apps at sign-in, "
        "and the printed forms, exports and local days of reports use it",
    )
    schedule_interval_s: int = Field(
        default=3600, ge=0, description="seconds between inspection runs (first at start-up); 0 = off"
    )
    return_visit_days: int = Field(
        default=3, ge=0, le=365, description="days after a job is closed that its return visit falls due"
    )
    sync_concurrency: int = Field(
        default=0,
        ge=0,
        description="device pushes and pulls served at once; more wait briefly or get 503 + Retry-After "
        "(0: 4 on SQLite, which has one writer; on PostgreSQL 4 per CPU, at least 8)",
    )
    office_concurrency: int = Field(
        default=0, ge=0, description="office requests served at once, apart from devices (0: 4)"
    )
    admission_wait_ms: int = Field(
        default=1000, ge=0, le=30_000, description="how long a request may wait for a place before 503"
    )
    keep_alive_s: int = Field(
        default=SERVER_KEEP_ALIVE_S,
        ge=1,
        le=3600,
        description="seconds an idle HTTP connection is kept open (above a busy server's longest "
        "Retry-After with the device's jitter, so a refused device comes back on its connection)",
    )
    backlog: int = Field(
        default=4096,
        ge=64,
        le=65_535,
        description="connections the kernel queues before the server accepts them (capped by the "
        "kernel's net.core.somaxconn); beyond it a connection attempt is dropped and the device waits "
        "1 s, 3 s, 7 s for its retransmission",
    )
    admission_queue: int = Field(
        default=0, ge=0, description="requests that may wait for a place per lane (0: 4 x its limit)"
    )
    parts_approval: bool = Field(
        default=False,
        description="审查控制: when on, a parts issue (new-parts store to a van, or a shipment) or return "
        "(van to the new-parts store) that matches an approval rule (/api/stock/approval-rules) waits as "
        "pending until a manager approves it; off: no rule applies",
    )
    pwa_dir: Path | None = Field(
        default=None, description="the field app's web build served at /app/ (default: data_dir/pwa)"
    )
    pwa_build: Literal["auto", "off"] = Field(
        default="auto",
        description="auto: `levee serve` builds the field app for /app/ when it is missing or stale; "
        "off: serve what is there (`levee pwa build`)",
    )

    def complaint_hours(self, severity: str) -> int:
        """The hours a complaint of ``severity`` has before it is late."""
        return self.complaint_hours_major if severity == "major" else self.complaint_hours_general

    escalation_interval_s: int = Field(
        default=60,
        ge=0,
        description="seconds between escalation scans (promises due or missed, backup due, major faults) "
        "and outbound deliveries; 0 = off",
    )
    escalation_warning_minutes: int = Field(
        default=60,
        ge=1,
        le=10_080,
        description="a promise due within this many minutes is escalated as due soon",
    )
    escalation_major_hours: int = Field(
        default=24,
        ge=1,
        le=720,
        description="a major fault received within this many hours is escalated (older ones are not, so a "
        "first start does not announce history)",
    )
    complaint_hours_general: int = Field(
        default=72, ge=1, le=8760, description="hours a general complaint may take from received to closed"
    )
    complaint_hours_major: int = Field(
        default=24, ge=1, le=8760, description="hours a major complaint may take from received to closed"
    )
    complaint_warning_hours: int = Field(
        default=8,
        ge=1,
        le=720,
        description="a complaint whose deadline falls within this many hours is escalated as due soon",
    )
    smtp_host: str = Field(default="", description="SMTP server of the e-mail channel; empty: e-mail is off")
    smtp_port: int = Field(default=25, ge=1, le=65535, description="its port (587 with STARTTLS, 465 SSL)")
    smtp_security: Literal["none", "starttls", "ssl"] = Field(
        default="none", description="none, starttls or ssl"
    )
    smtp_user: str = Field(default="", description="SMTP login; empty: no login")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password")
    smtp_from: str = Field(default="levee@localhost", description="the From address of escalation e-mail")
    webhook_url: str = Field(
        default="",
        max_length=500,
        description="the webhook channel's URL: each notification is POSTed there as JSON; empty: off",
    )
    webhook_secret: SecretStr | None = Field(
        default=None,
        description="when set, each webhook carries X-Levee-Signature: sha256=HMAC(secret, body)",
    )
    delivery_timeout_s: float = Field(
        default=10, gt=0, le=120, description="seconds one e-mail or webhook try may take"
    )
    delivery_attempts: int = Field(
        default=5, ge=1, le=20, description="tries per outbound notification before it is marked failed"
    )
    delivery_backoff_s: float = Field(
        default=30, ge=0, le=86_400, description="wait before the second try; doubles after each failure"
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        zone(value)  # a typo in LEVEE_TIMEZONE stops the start with a readable message
        return value.strip()

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            url = self.database_url
            if url.startswith("postgresql://"):
                url = "postgresql+asyncpg://" + url.removeprefix("postgresql://")
            if url.startswith("sqlite:///"):
                url = "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
            return url
        path = (self.data_dir / "levee.db").resolve()
        return f"sqlite+aiosqlite:///{path}"

    def trusted_proxy_list(self) -> list[str]:
        return [p.strip() for p in self.trusted_proxies.split(",") if p.strip()]

    def admission_limits(self) -> tuple[int, int]:
        """Places for device sync and for the office (see ``server/admission.py``)."""
        # A place is a request using a CPU and the database: more places than the machine can run at
        # once only lengthen every admitted request (1,500 devices on 2 CPUs with 16 places per process
        # on PostgreSQL: p99 of admitted requests 50 s; with 4 on SQLite, 5 s). A PostgreSQL request
        # also waits on its backend, so a few places per CPU keep the CPUs busy (docs/performance.md).
        sync = self.sync_concurrency or (4 if self.is_sqlite else max(8, 4 * (os.cpu_count() or 2)))
        office = self.office_concurrency or 4
        return sync, office

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")
