"""Which client address sign-in throttling counts, on a real ``levee serve`` behind (or not) a proxy."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from server.db.engine import make_engine
from server.db.models import LoginFailure
from tests.processes import Server, seed_demo


async def _addresses(db_url: str) -> list[str]:
    engine = make_engine(db_url)
    try:
        async with engine.connect() as conn:
            return list((await conn.scalars(select(LoginFailure.ip).order_by(LoginFailure.at))).all())
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    ("trusted", "seen"),
    [("", "127.0.0.1"), ("127.0.0.1", "198.51.100.23")],
    ids=["no proxy configured", "proxy on 127.0.0.1"],
)
def test_forwarded_for_is_believed_only_from_a_configured_proxy(
    db_url: str, tmp_path: Path, trusted: str, seen: str
) -> None:
    seed_demo(db_url, tmp_path)
    server = Server(db_url, tmp_path / "server", env={"LEVEE_TRUSTED_PROXIES": trusted} if trusted else {})
    server.start()
    try:
        for forged in ("198.51.100.23", "198.51.100.23"):
            r = httpx.post(
                f"{server.url}/api/auth/login",
                json={"username": "eng01", "password": "not-it", "device_name": "x"},
                headers={"X-Forwarded-For": forged},
                timeout=60,
            )
            assert r.status_code == 401, r.text
    finally:
        server.stop()
    assert asyncio.run(_addresses(db_url)) == [seen, seen]
