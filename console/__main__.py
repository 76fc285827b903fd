"""``python -m console``: the back-office console in the browser (what ``levee console`` starts)."""

from __future__ import annotations

import os
import sys

from ui.web.cli import env_list, web_app_parser


def main(argv: list[str] | None = None) -> int:
    parser = web_app_parser(
        prog="levee console",
        description="Levee back-office console (web)",
        env="CONSOLE",
        port=8560,
        origin_help="another origin whose pages may open the console (its own always may)",
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
        default=env_list("LEVEE_CONSOLE_TRUSTED_PROXIES"),
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
