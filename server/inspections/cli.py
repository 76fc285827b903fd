"""``levee inspections generate``: make the inspection jobs that fall due, as the server does hourly."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from datetime import date

from server.settings import Settings


async def _generate(settings: Settings, today: date | None) -> str:
    from zoneinfo import ZoneInfo

    from server.audit import use_settings_key
    from server.db.engine import make_engine, make_sessionmaker
    from server.inspections.generator import generate

    engine = make_engine(settings.resolved_database_url)
    use_settings_key(engine, settings)  # the jobs it makes are audited
    try:
        async with make_sessionmaker(engine)() as session:
            result = await generate(session, tz=ZoneInfo(settings.timezone), today=today)
    finally:
        await engine.dispose()
    lines = [
        f"{result.today}: {result.created} inspection job(s) made, {result.existing} already there "
        f"({result.schedules} active schedule(s))"
    ]
    lines += [f"problem: {p}" for p in result.problems]
    return "\n".join(lines)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date like 2026-01-31") from None


def add_commands(
    sub: argparse._SubParsersAction,  # type: ignore[type-arg]
    common: Callable[[argparse.ArgumentParser], None],
    settings_of: Callable[[argparse.Namespace], Settings],
) -> None:
    """Register ``levee inspections generate`` on the ``levee`` parser."""

    def cmd_generate(args: argparse.Namespace) -> int:
        print(asyncio.run(_generate(settings_of(args), args.today)))
        return 0

    inspections = sub.add_parser("inspections", help="scheduled inspections")
    inspsub = inspections.add_subparsers(dest="inspections_command", required=True)
    gen = inspsub.add_parser(
        "generate", help="make the inspection jobs that fall due (idempotent; the server also runs it hourly)"
    )
    common(gen)
    gen.add_argument("--today", type=_day, help="the local date to generate for, YYYY-MM-DD (default: today)")
    gen.set_defaults(func=cmd_generate)
