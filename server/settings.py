"""Server settings, read from ``LEVEE_*`` environment variables."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    timezone: str = "Asia/Shanghai"
    schedule_interval_s: int = Field(
        default=3600, ge=0, description="seconds between inspection runs (first at start-up); 0 = off"
    )
    return_visit_days: int = Field(
        default=3, ge=0, le=365, description="days after a job is closed that its return visit falls due"
    )

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

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")
