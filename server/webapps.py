"""``levee app``, ``levee console`` and ``levee demo``: the commands that start the two web apps.

The field app and the console are programs of their own (``python -m mobile.app``, ``python -m
console``): server/ never imports mobile/. ``levee app`` and ``levee console`` become that
program (same process id, so stopping the command stops the app). ``levee demo`` runs the server and
both apps as three child processes it watches, so a newcomer can take the server away and bring it
back (``stop`` / ``start`` on its standard input) to try the field app offline, and a SIGTERM or
Ctrl+C ends all three within 2 s (issue 11, item 13).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from types import FrameType
from typing import ClassVar

from server.serving import end_now
from server.settings import Settings
from shared.lifetime import PARENT_ENV
from shared.relay import KEY_FILE as RELAY_KEY_FILE

APP_PORT = 8550
CONSOLE_PORT = 8560
STOP_S = 1.5  # what the demo gives its children to stop before it kills them


def app_command(
    server: str, port: int, host: str, data_dir: str, tz: str | None = None, origins: Iterable[str] = ()
) -> list[str]:
    """The field app as its own program (``python -m mobile.app``)."""
    command = [sys.executable, "-m", "mobile.app", "--server", server, "--port", str(port), "--host", host]
    command += ["--data-dir", data_dir] + (["--tz", tz] if tz else [])
    return command + [arg for origin in origins for arg in ("--allow-origin", origin)]


def console_command(
    server: str,
    port: int,
    host: str,
    tz: str | None,
    origins: Iterable[str] = (),
    relay_key_file: Path | None = None,
    proxies: Iterable[str] = (),
) -> list[str]:
    """The back-office console as its own program (``python -m console``); beside the server it
    reads the server's relay key file (the path, never the key, is on its command line)."""
    command = [sys.executable, "-m", "console", "--server", server, "--port", str(port)]
    command += ["--host", host] + (["--tz", tz] if tz else [])
    command += ["--relay-key-file", str(relay_key_file.resolve())] if relay_key_file else []
    command += [arg for proxy in proxies for arg in ("--trusted-proxy", proxy)]
    return command + [arg for origin in origins for arg in ("--allow-origin", origin)]


def _become(command: list[str]) -> int:
    sys.stdout.flush()
    if os.name == "posix":
        os.execv(sys.executable, command)  # same process id: stopping the command stops the app
    return subprocess.call(command)  # pragma: no cover - Windows


def cmd_app(args: argparse.Namespace) -> int:
    """Serve the engineer's field app to a browser on this machine; its data lives in its own replica."""
    return _become(
        app_command(
            args.server or os.environ.get("LEVEE_APP_SERVER", "http://127.0.0.1:8000"),
            args.port or APP_PORT,
            args.host or "127.0.0.1",
            args.data_dir or os.environ.get("LEVEE_APP_DATA_DIR", "levee-data/app"),
            args.tz,
            args.allow_origin or (),
        )
    )


def cmd_console(args: argparse.Namespace) -> int:
    """Serve the back-office console to browsers; it talks to the server's API with each user's token."""
    return _become(
        console_command(
            args.server or os.environ.get("LEVEE_CONSOLE_SERVER", "http://127.0.0.1:8000"),
            args.port or CONSOLE_PORT,
            args.host or "127.0.0.1",
            args.tz,
            args.allow_origin or (),
            relay_key_file=Path(args.relay_key_file)
            if getattr(args, "relay_key_file", None)
            else Path(os.environ.get("LEVEE_DATA_DIR") or "levee-data") / RELAY_KEY_FILE,
            proxies=getattr(args, "trusted_proxy", None) or (),
        )
    )


def cmd_pwa_build(args: argparse.Namespace) -> int:
    """Build the field app's static web folder (``python -m mobile.pwa build``, server/pwa.py)."""
    return _become(
        [sys.executable, "-m", "mobile.pwa", "build", *(["--out", args.out] if args.out else [])]
        + (["--force"] if args.force else [])
    )


# --- the demo ------------------------------------------------------------------------------------------

DEMO_HELP = (
    "  While the demo runs, type (then Enter):\n"
    "    stop    take the server away: the field app keeps working offline and shows what waits to sync\n"
    "    start   bring the server back: the field app sends what it kept\n"
    "    status  which of the three programs run\n"
    "    quit    end the demo (so do Ctrl+C and SIGTERM)\n"
)


class Demo:
    """The server, the field app and the console as child processes, started, stopped and watched.

    Children are told the demo's process id (:data:`~shared.lifetime.PARENT_ENV`) and end with it even
    if it is killed outright. Stopping sends each child SIGTERM and kills what still runs after
    :data:`STOP_S` (each stops itself within that on its own).
    """

    NAMES: ClassVar[dict[str, str]] = {"server": "server", "app": "field app", "console": "console"}

    def __init__(self, commands: dict[str, list[str]], *, out: Callable[[str], None] = print) -> None:
        self.commands = commands
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self.stopped_on_purpose: set[str] = set()
        self.env = {**os.environ, PARENT_ENV: str(os.getpid())}
        self.out = out
        self.lines: queue.Queue[str] = queue.Queue()
        self.signalled: int | None = None

    def running(self, name: str) -> bool:
        child = self.children.get(name)
        return child is not None and child.poll() is None

    def start(self, name: str) -> None:
        if self.running(name):
            self.out(f"the {self.NAMES[name]} is running already")
            return
        self.stopped_on_purpose.discard(name)
        self.children[name] = subprocess.Popen(self.commands[name], env=self.env)

    def stop(self, names: Sequence[str]) -> None:
        """SIGTERM to each, then wait together; kill what still runs after :data:`STOP_S`."""
        live = [self.children[n] for n in names if self.running(n)]
        self.stopped_on_purpose.update(names)
        for child in live:
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_S
        for child in live:
            try:
                child.wait(timeout=max(deadline - time.monotonic(), 0))
            except subprocess.TimeoutExpired:
                child.kill()
        for child in live:
            child.wait()

    def _signal(self, signum: int, _frame: FrameType | None) -> None:
        self.signalled = signum  # the loop below notices within a tenth of a second

    def _read_commands(self) -> None:
        """Typed lines to the main loop. At the end of input (none, or closed) the demo runs on until a
        signal or `quit`; while it runs in the background of a terminal (`levee demo &`) reading fails
        (SIGTTIN is ignored, see :meth:`run`) and is tried again, so `fg` gives the commands back."""
        while sys.stdin is not None:
            try:
                line = sys.stdin.readline()
            except OSError:  # EIO: in the background of its terminal
                time.sleep(0.5)
                continue
            except ValueError:  # stdin closed
                return
            if not line:
                return
            self.lines.put(line.strip().lower())

    def _watch(self) -> None:
        for name, child in self.children.items():
            if name not in self.stopped_on_purpose and child.poll() is not None:
                self.stopped_on_purpose.add(name)
                again = " (type `start` to start it again)" if name == "server" else ""
                self.out(f"the {self.NAMES[name]} stopped (exit {child.returncode}){again}")

    def _command(self, line: str) -> bool:
        """Act on one typed line; False for quit."""
        words = line.split()
        word = words[-1] if words else ""
        if word in ("quit", "exit", "q"):
            return False
        if word == "stop":
            self.stop(["server"])
            self.out("server stopped: the field app now works offline (`start` brings it back)")
        elif word == "start":
            self.start("server")
            self.out("server starting")
        elif word == "status":
            for name, label in self.NAMES.items():
                if name in self.commands:
                    self.out(f"  {label}: {'running' if self.running(name) else 'stopped'}")
        elif word:
            self.out(DEMO_HELP)
        return True

    def run(self, *, with_server: bool = True) -> int:
        """Start the programs, obey typed commands, and stop everything on quit, SIGTERM or Ctrl+C."""
        signal.signal(signal.SIGTERM, self._signal)
        signal.signal(signal.SIGINT, self._signal)
        if hasattr(signal, "SIGTTIN"):  # reading the terminal from the background must not stop the demo
            signal.signal(signal.SIGTTIN, signal.SIG_IGN)
        try:
            for name in self.commands:
                if name != "server" or with_server:
                    self.start(name)
            threading.Thread(target=self._read_commands, name="demo-commands", daemon=True).start()
            while self.signalled is None:
                try:
                    line = self.lines.get(timeout=0.1)
                except queue.Empty:
                    self._watch()
                    continue
                if not self._command(line):
                    break
        finally:
            self.stop(list(self.children))
        return 0 if self.signalled is None else 128 + self.signalled


def cmd_demo(args: argparse.Namespace, settings: Settings, logins: str) -> int:
    base = f"http://{settings.host}:{settings.port}"
    app_port, console_port = args.app_port or APP_PORT, args.console_port or CONSOLE_PORT
    print(
        "\nLevee demo\n"
        f"  data:        {settings.data_dir.resolve() if settings.is_sqlite else settings.database_url}\n"
        f"  API:         {base}/api\n"
        f"  API docs:    {base}/schema/swagger\n"
        f"  field app:   http://127.0.0.1:{app_port}/  (sign in as an engineer)\n"
        f"  console:     http://127.0.0.1:{console_port}/  (office staff: dispatcher, manager, qa, ...)\n"
        f"  tablet app:  {base}/app/  (the field app in the tablet's browser, offline after the first visit)\n"
        "  demo logins:\n" + logins + "\n\n" + DEMO_HELP,
        flush=True,
    )
    app_dir = str((settings.data_dir if settings.is_sqlite else Path("levee-data")) / "app")
    server = base.replace("0.0.0.0", "127.0.0.1")
    serve = [
        sys.executable,
        "-m",
        "server.cli",
        "serve",
        "--host",
        settings.host,
        "--port",
        str(settings.port),
    ]
    serve += ["--data-dir", str(settings.data_dir)]
    if settings.database_url:
        serve += ["--database-url", settings.database_url]
    demo = Demo(
        {
            "server": serve,
            "app": app_command(server, app_port, "127.0.0.1", app_dir),
            "console": console_command(
                server, console_port, "127.0.0.1", None, relay_key_file=settings.data_dir / RELAY_KEY_FILE
            ),
        },
        out=lambda text: print(text, flush=True),
    )
    code = demo.run(with_server=not args.no_server)
    end_now(code)  # every child has ended; the interpreter's own teardown would take seconds
    return code  # pragma: no cover


def add_commands(
    sub: argparse._SubParsersAction,  # type: ignore[type-arg]
    common: Callable[[argparse.ArgumentParser], None],
    zone_name: Callable[[str], str],
    demo: Callable[[argparse.Namespace], int],
) -> None:
    """Register ``levee demo``, ``levee app`` and ``levee console`` on the ``levee`` parser."""
    demo_parser = sub.add_parser("demo", help="seed demo data if needed, then run the server and both apps")
    common(demo_parser)
    demo_parser.add_argument("--host")
    demo_parser.add_argument("--port", type=int)
    demo_parser.add_argument("--app-port", type=int, help=f"port of the field app (default {APP_PORT})")
    demo_parser.add_argument(
        "--console-port", type=int, help=f"port of the back-office console (default {CONSOLE_PORT})"
    )
    demo_parser.add_argument(
        "--no-server", action="store_true", help="start only the apps (run `levee serve` yourself)"
    )
    demo_parser.set_defaults(func=demo)

    origin_help = "another origin that may open the app, e.g. https://levee.example.com behind a proxy"
    app = sub.add_parser("app", help="the engineer's field app in the browser (works offline after sign-in)")
    app.add_argument("--server", help="sync server address shown at sign-in (default http://127.0.0.1:8000)")
    app.add_argument("--host", help="address to serve on (default 127.0.0.1)")
    app.add_argument("--port", type=int, help=f"port (default {APP_PORT})")
    app.add_argument("--data-dir", help="the app's own data (default ./levee-data/app)")
    app.add_argument(
        "--tz", type=zone_name, help="show times in this zone instead of the server's LEVEE_TIMEZONE"
    )
    app.add_argument("--allow-origin", action="append", help=origin_help)
    app.set_defaults(func=cmd_app)

    console = sub.add_parser("console", help="the back-office console in the browser (dispatch, QA, reports)")
    console.add_argument("--server", help="API server address (default http://127.0.0.1:8000)")
    console.add_argument("--host", help="address to serve on (default 127.0.0.1)")
    console.add_argument("--port", type=int, help=f"port (default {CONSOLE_PORT})")
    console.add_argument(
        "--tz", type=zone_name, help="show times in this zone instead of the server's LEVEE_TIMEZONE"
    )
    console.add_argument("--allow-origin", action="append", help=origin_help)
    console.add_argument(
        "--relay-key-file",
        help=f"the server's relay key, to name each browser's address at sign-in (default: {RELAY_KEY_FILE} "
        "in $LEVEE_DATA_DIR or ./levee-data; $LEVEE_RELAY_KEY wins)",
    )
    console.add_argument(
        "--trusted-proxy",
        action="append",
        help="a reverse proxy in front of the console whose X-Forwarded-For names the browser (repeatable, "
        "or LEVEE_CONSOLE_TRUSTED_PROXIES); none by default",
    )
    console.set_defaults(func=cmd_console)

    pwa = sub.add_parser("pwa", help="the field app as an installable offline web app (served at /app/)")
    pwa_sub = pwa.add_subparsers(dest="pwa_command", required=True)
    pwa_build = pwa_sub.add_parser("build", help="build the static folder `levee serve` serves at /app/")
    pwa_build.add_argument("--out", help="folder to write (default: $LEVEE_PWA_DIR or <data dir>/pwa)")
    pwa_build.add_argument("--force", action="store_true", help="build even when the folder is current")
    pwa_build.set_defaults(func=cmd_pwa_build)
