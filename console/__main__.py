"""``python -m console``: the back-office console in the browser (what ``levee console`` starts)."""

from __future__ import annotations

import argparse
import os
import sys


def _zone_name(name: str) -> str:
    from shared.local_time import zone

    try:
        zone(name)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return name


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="levee console", description="Levee back-office console (web)")
    parser.add_argument("--server", default=os.environ.get("LEVEE_CONSOLE_SERVER", "http://127.0.0.1:8000"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8560)
    parser.add_argument(
        "--tz",
        type=_zone_name,
        default=os.environ.get("LEVEE_CONSOLE_TZ") or None,
        help="time zone to show times in (default: the server's LEVEE_TIMEZONE, told at sign-in)",
    )
    parser.add_argument(
        "--allow-origin",
        action="append",
        default=[o.strip() for o in os.environ.get("LEVEE_CONSOLE_ORIGINS", "").split(",") if o.strip()],
        help="another origin whose pages may open the console (its own always may)",
    )
    parser.add_argument(
        "--relay-key-file",
        default=os.environ.get("LEVEE_CONSOLE_RELAY_KEY_FILE") or None,
        help="the server's relay.key, so sign-ins are counted against each browser's address, not the "
        "console's ($LEVEE_RELAY_KEY wins; read at each sign-in)",
    )
    parser.add_argument(
        "--trusted-proxy",
        action="append",
        default=[
            p.strip() for p in os.environ.get("LEVEE_CONSOLE_TRUSTED_PROXIES", "").split(",") if p.strip()
        ],
        help="a reverse proxy (address or network) whose X-Forwarded-For names the browser (repeatable); "
        "none by default: the browser's address is the connection's",
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("FLET_FORCE_WEB_SERVER", "1")  # never try to open a desktop window
    from console.main import run

    run(
        server=args.server,
        port=args.port,
        host=args.host,
        tz=args.tz,
        allowed_origins=args.allow_origin,
        relay_key_file=args.relay_key_file,
        trusted_proxies=args.trusted_proxy,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
