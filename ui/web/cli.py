"""The command line both web apps start from (``python -m mobile.app``, ``python -m console``): the
options they share, each with its ``LEVEE_<APP>_*`` environment default, in one place."""

from __future__ import annotations

import argparse
import os


def zone_name(name: str) -> str:
    """An IANA time zone name, refused on the command line when unknown."""
    from shared.local_time import zone

    try:
        zone(name)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return name


def env_list(name: str) -> list[str]:
    """A comma-separated environment variable as a list, blanks left out."""
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


def web_app_parser(
    *, prog: str, description: str, env: str, port: int, origin_help: str, data_dir: str | None = None
) -> argparse.ArgumentParser:
    """``--server``, ``--host``, ``--port``, (``--data-dir``), ``--tz`` and ``--allow-origin``.

    ``env`` is the app's word in its variables (``APP`` reads ``LEVEE_APP_SERVER``, ``LEVEE_APP_TZ``,
    ``LEVEE_APP_ORIGINS``, ``LEVEE_APP_DATA_DIR``); ``data_dir``, when given, adds ``--data-dir`` with
    that default."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--server", default=os.environ.get(f"LEVEE_{env}_SERVER", "http://127.0.0.1:8000"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=port)
    if data_dir is not None:
        parser.add_argument("--data-dir", default=os.environ.get(f"LEVEE_{env}_DATA_DIR", data_dir))
    parser.add_argument(
        "--tz",
        type=zone_name,
        default=os.environ.get(f"LEVEE_{env}_TZ") or None,
        help="time zone to show times in (default: the server's LEVEE_TIMEZONE, told at sign-in)",
    )
    parser.add_argument(
        "--allow-origin", action="append", default=env_list(f"LEVEE_{env}_ORIGINS"), help=origin_help
    )
    return parser
