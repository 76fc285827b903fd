"""The ``levee`` command."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

from server.settings import Settings

DEMO_LOGINS_FILE = "demo-logins.txt"


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {}
    if getattr(args, "database_url", None):
        overrides["database_url"] = args.database_url
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = Path(args.data_dir)
    return Settings(**overrides)


async def _upgrade(settings: Settings) -> None:
    from server.db.engine import make_engine, make_sessionmaker
    from server.db.meta import ensure_server_meta
    from server.db.migrate import upgrade

    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url)
    try:
        await upgrade(engine)
        async with make_sessionmaker(engine)() as session:
            await ensure_server_meta(session)
    finally:
        await engine.dispose()


async def _seed(settings: Settings, *, if_empty: bool) -> str | None:
    """Seed demo data; returns the printable logins, or None when the database already had data."""
    from sqlalchemy import func, select

    from server.audit import use_settings_key
    from server.db.engine import make_engine, make_sessionmaker
    from server.db.models import User
    from server.seed import format_logins, seed_demo

    await _upgrade(settings)
    engine = make_engine(settings.resolved_database_url)
    use_settings_key(engine, settings)
    try:
        async with make_sessionmaker(engine)() as session:
            if if_empty and await session.scalar(select(func.count()).select_from(User)):
                return None
            result = await seed_demo(session)
            await session.commit()
    finally:
        await engine.dispose()
    text = format_logins(result)
    if settings.is_sqlite:
        path = settings.data_dir / DEMO_LOGINS_FILE
        path.write_text(text, encoding="utf-8")
        path.chmod(0o600)
    return text


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the API until SIGTERM or Ctrl+C, then stop within 2 s (server/serving.py)."""
    from server.auth.relay import load_key as load_relay_key
    from server.serving import serve

    settings = _settings(args)
    settings.host, settings.port = args.host or settings.host, args.port or settings.port
    try:
        load_relay_key(settings)  # a short LEVEE_RELAY_KEY stops the start in words, not a traceback
    except ValueError as exc:
        print(f"levee serve: {exc}", file=sys.stderr)
        return 2
    serve(settings)
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    settings = _settings(args)
    asyncio.run(_upgrade(settings))
    print("database is up to date")
    return 0


async def _prune(settings: Settings, days: int) -> int:
    from datetime import UTC, datetime, timedelta

    from server.db.engine import make_engine, make_sessionmaker
    from server.replication.retention import prune_change_log

    engine = make_engine(settings.resolved_database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            return await prune_change_log(session, datetime.now(UTC) - timedelta(days=days))
    finally:
        await engine.dispose()


async def _new_epoch(settings: Settings) -> str:
    from server.db.engine import make_engine, make_sessionmaker
    from server.db.meta import new_epoch

    engine = make_engine(settings.resolved_database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            return await new_epoch(session)
    finally:
        await engine.dispose()


async def _verify_audit(settings: Settings, checkpoint_files: list[Path]) -> tuple[bool, str]:
    from server.audit import AuditKeyError, CheckpointFileError, read_checkpoints, settings_key, verify_chain
    from server.db.engine import make_engine, make_sessionmaker

    try:
        key = settings_key(settings, create=False)
        checkpoints = [c for path in checkpoint_files if path.exists() for c in read_checkpoints(path)]
    except (AuditKeyError, CheckpointFileError, OSError) as exc:
        return False, f"cannot verify the audit trail: {exc}"
    engine = make_engine(settings.resolved_database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            report = await verify_chain(session, key, checkpoints)
    finally:
        await engine.dispose()
    if report.ok:
        return True, f"audit trail intact: {report.entries} entries, {len(checkpoints)} checkpoint(s) hold"
    return False, f"AUDIT TRAIL BROKEN at entry {report.first_bad_seq}: {report.problem}"


def _checkpoint_files(args: argparse.Namespace, settings: Settings) -> list[Path]:
    from server.audit import CHECKPOINT_FILE

    return [Path(p) for p in args.checkpoints or []] or [settings.data_dir / CHECKPOINT_FILE]


def cmd_audit_verify(args: argparse.Namespace) -> int:
    settings = _settings(args)
    ok, message = asyncio.run(_verify_audit(settings, _checkpoint_files(args, settings)))
    print(message, file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1


async def _checkpoint(settings: Settings, out: Path, checkpoint_files: list[Path]) -> tuple[bool, str]:
    from server.audit import Checkpoint, append_checkpoint, head, settings_key
    from server.db.engine import make_engine, make_sessionmaker

    ok, message = await _verify_audit(settings, checkpoint_files)
    if not ok:
        return False, f"no checkpoint made: {message}"
    engine = make_engine(settings.resolved_database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            seq, newest = await head(session)
    finally:
        await engine.dispose()
    checkpoint = Checkpoint.make(settings_key(settings, create=False), seq, newest)
    append_checkpoint(out, checkpoint)
    return True, checkpoint.line()


def cmd_audit_checkpoint(args: argparse.Namespace) -> int:
    """Verify the trail, then seal its head: appended to the file and printed, to keep elsewhere too."""
    settings = _settings(args)
    files = _checkpoint_files(args, settings)
    out = Path(args.file) if args.file else files[0]
    ok, message = asyncio.run(_checkpoint(settings, out, [*files, out]))
    if not ok:
        print(message, file=sys.stderr)
        return 1
    print(message)
    print(
        f"(appended to {out}; keep a copy away from the server, e.g. mail it to the manager)", file=sys.stderr
    )
    return 0


def cmd_prune(args: argparse.Namespace) -> int:
    settings = _settings(args)
    days = args.days or settings.log_retention_days
    floor = asyncio.run(_prune(settings, days))
    print(f"change log pruned to {days} days (floor {floor})" if floor else "nothing older to prune")
    return 0


def cmd_new_epoch(args: argparse.Namespace) -> int:
    epoch = asyncio.run(_new_epoch(_settings(args)))
    print(f"new server epoch {epoch}: every device will download its data again at its next sync")
    return 0


async def _add_user(settings: Settings, username: str, name: str, role: str, password: str) -> str:
    from sqlalchemy import select

    from server.db.engine import make_engine, make_sessionmaker
    from server.db.models import User
    from server.security import hash_password
    from shared.models import UserCreate

    data = UserCreate(username=username, display_name=name, role=role, password=password)  # validates
    await _upgrade(settings)
    engine = make_engine(settings.resolved_database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            if await session.scalar(select(User.id).where(User.username == data.username)):
                raise SystemExit(f"username '{data.username}' is taken")
            session.add(
                User(
                    username=data.username,
                    display_name=data.display_name,
                    role=data.role.value,
                    password_hash=hash_password(data.password),
                )
            )
            await session.commit()
    finally:
        await engine.dispose()
    return data.username


def cmd_user_add(args: argparse.Namespace) -> int:
    """Create a user, e.g. the first administrator of a new installation."""
    import getpass

    from pydantic import ValidationError

    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("password: ")
    try:
        name = asyncio.run(
            _add_user(_settings(args), args.username, args.name or args.username, args.role, password)
        )
    except ValidationError as exc:
        print(
            "not created: " + "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors()), file=sys.stderr
        )
        return 1
    print(f"user '{name}' created")
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    if not args.demo:
        print("nothing to do: say `levee seed --demo` to fill an empty database with demo data")
        return 2
    from server.seed import SeedError

    settings = _settings(args)
    try:
        text = asyncio.run(_seed(settings, if_empty=False))
    except SeedError as exc:
        print(f"not seeded: {exc}", file=sys.stderr)
        return 1
    print("demo data loaded. Sign in with:\n" + (text or ""))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Seed the demo data if the database is empty, then run the server and both apps (server/webapps.py)."""
    from server.webapps import cmd_demo as run_demo

    settings = _settings(args)
    settings.host, settings.port = args.host or settings.host, args.port or settings.port
    text = asyncio.run(_seed(settings, if_empty=True))
    if text is None:
        saved = settings.data_dir / DEMO_LOGINS_FILE
        text = saved.read_text(encoding="utf-8") if saved.exists() else "(logins as printed at first seed)"
    return run_demo(args, settings, text)


def _zone_name(name: str) -> str:
    """An IANA time zone name, checked when the command is read (not when the first page opens)."""
    from shared.local_time import zone

    try:
        zone(name)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return name


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="levee", description="Levee field service: server, demo and tools")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--database-url", help="SQLAlchemy URL (default: SQLite under --data-dir)")
        p.add_argument("--data-dir", help="data directory (default: ./levee-data or $LEVEE_DATA_DIR)")

    serve = sub.add_parser("serve", help="run the sync server (migrates the database first)")
    common(serve)
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.set_defaults(func=cmd_serve)

    db = sub.add_parser("db", help="database tools")
    dbsub = db.add_subparsers(dest="db_command", required=True)
    up = dbsub.add_parser("upgrade", help="apply migrations")
    common(up)
    up.set_defaults(func=cmd_db)
    prune = dbsub.add_parser("prune", help="drop change-log rows older than the retention period")
    common(prune)
    prune.add_argument("--days", type=int, help="retention in days (default $LEVEE_LOG_RETENTION_DAYS or 90)")
    prune.set_defaults(func=cmd_prune)
    epoch = dbsub.add_parser("new-epoch", help="after restoring a backup: make every device re-download")
    common(epoch)
    epoch.set_defaults(func=cmd_new_epoch)

    audit_cmd = sub.add_parser("audit", help="the audit trail")
    auditsub = audit_cmd.add_subparsers(dest="audit_command", required=True)
    verify = auditsub.add_parser(
        "verify", help="check the hash chain; exit 1 if an entry was changed or removed"
    )
    common(verify)
    verify.add_argument(
        "--checkpoints",
        action="append",
        metavar="FILE",
        help="checkpoints to check against, one JSON line each (repeatable; default: "
        "audit-checkpoints.jsonl in the data directory)",
    )
    verify.set_defaults(func=cmd_audit_verify)
    checkpoint = auditsub.add_parser(
        "checkpoint",
        help="verify, then seal the trail's head with the audit key: appended to a file and printed",
    )
    common(checkpoint)
    checkpoint.add_argument(
        "--file", help="where to append it (default: audit-checkpoints.jsonl in the data directory)"
    )
    checkpoint.add_argument("--checkpoints", action="append", metavar="FILE", help="as for verify")
    checkpoint.set_defaults(func=cmd_audit_checkpoint)

    user = sub.add_parser("user", help="user accounts")
    usersub = user.add_subparsers(dest="user_command", required=True)
    add = usersub.add_parser("add", help="create a user (the password is asked for, or read from stdin)")
    common(add)
    add.add_argument("--username", required=True)
    add.add_argument("--name", help="display name, e.g. 张伟")
    add.add_argument(
        "--role", required=True, choices=["engineer", "dispatcher", "manager", "qa", "warehouse", "admin"]
    )
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.set_defaults(func=cmd_user_add)

    seed = sub.add_parser("seed", help="fill an empty database")
    common(seed)
    seed.add_argument("--demo", action="store_true", help="realistic demo data")
    seed.set_defaults(func=cmd_seed)

    from server.inspections.cli import add_commands as add_inspection_commands
    from server.webapps import add_commands as add_webapp_commands

    add_inspection_commands(sub, common, _settings)
    add_webapp_commands(sub, common, _zone_name, cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    os.environ.setdefault("PYTHONUTF8", "1")
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
