"""The PouchDB peer of ``bench/sync_bench.py --peer pouchdb``: the same three measures against PouchDB 9
and pouchdb-server 4.2 (LevelDB), with the very documents Levee's device received, in the same run.

npm installs both into a temporary folder (``--peer-dir`` keeps and reuses one: the install takes minutes);
without node or npm the peer is skipped with a message, never an error. Nothing of it is needed by the
test suite. The server listens on 127.0.0.1 only, and the bench ends it (and the node client) on exit,
on SIGTERM and when the bench itself is killed (the children ask Linux for SIGTERM when it goes).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from shared.lifetime import sigterm_when_parent_ends

POUCHDB = "pouchdb@9.0.0"
POUCHDB_SERVER = "pouchdb-server@4.2.0"
SCRIPT = Path(__file__).with_name("pouchdb_peer.js")
INSTALL_TIMEOUT_S = 1800
RUN_TIMEOUT_S = 1800


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def missing_tools() -> list[str]:
    return [tool for tool in ("node", "npm") if shutil.which(tool) is None]


def install(directory: Path) -> Path:
    """``npm install`` both packages into ``directory`` (skipped when they are there); returns node_modules."""
    modules = directory / "node_modules"
    if (modules / "pouchdb" / "package.json").exists() and (modules / ".bin" / "pouchdb-server").exists():
        return modules
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "package.json").write_text('{"private": true}\n')
    log(f"  npm install {POUCHDB} {POUCHDB_SERVER} into {directory} (minutes) ...")
    started = time.perf_counter()
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", POUCHDB, POUCHDB_SERVER],
        cwd=directory,
        check=True,
        timeout=INSTALL_TIMEOUT_S,
        stdout=sys.stderr,
    )
    log(f"  npm install took {time.perf_counter() - started:.0f} s")
    return modules


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _child(cmd: list[str], cwd: Path, **kwargs: Any) -> subprocess.Popen[bytes]:
    """A child in its own process group that gets SIGTERM when this process ends, however it ends."""
    return subprocess.Popen(
        cmd, cwd=cwd, start_new_session=True, preexec_fn=sigterm_when_parent_ends, **kwargs
    )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """End ``proc`` and whatever it started (its process group), politely first."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@contextlib.contextmanager
def _sigterm_as_exit() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl-C, so the ``finally`` blocks stop the node processes."""

    def handler(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def pouchdb_server(modules: Path, directory: Path) -> Iterator[str]:
    """pouchdb-server on a free loopback port, its LevelDB files in ``directory``; yields its URL."""
    directory.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    cmd = [
        str(modules / ".bin" / "pouchdb-server"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--dir",
        str(directory),
        "--config",
        str(directory / "config.json"),
        "--no-stdout-logs",
    ]
    server_log = (directory / "server.out").open("wb")
    proc = _child(cmd, directory, stdout=server_log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"pouchdb-server ended at start: {(directory / 'server.out').read_text()[-2000:]}"
                )
            with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("pouchdb-server did not answer within 60 s")
            time.sleep(0.2)
        yield url
    finally:
        _stop(proc)
        server_log.close()


def write_documents(replica_path: Path, target: Path) -> tuple[int, int]:
    """Levee's documents as the device holds them (the server's job documents and reference data), one
    JSON document a line, keyed for PouchDB. Returns (jobs, documents)."""
    import sqlite3

    conn = sqlite3.connect(replica_path)
    jobs = n = 0
    try:
        with target.open("w", encoding="utf-8") as out:
            for job_id, doc in conn.execute("SELECT id, server_doc FROM jobs ORDER BY id"):
                data = json.loads(doc)
                data["_id"] = job_id
                data["kind_of_doc"] = "job"  # removed by the peer script before it stores the document
                out.write(json.dumps(data, ensure_ascii=False) + "\n")
                jobs += 1
            for entity, ref_id, doc in conn.execute("SELECT entity, id, data FROM reference ORDER BY id"):
                data = json.loads(doc)
                data["_id"] = f"{entity}:{ref_id}"
                data["kind_of_doc"] = entity
                out.write(json.dumps(data, ensure_ascii=False) + "\n")
                n += 1
    finally:
        conn.close()
    return jobs, jobs + n


def run_peer(
    docs: Path,
    *,
    initial_reps: int,
    reps: int,
    batch: int,
    batch_size: int,
    peer_dir: Path | None,
) -> dict[str, Any]:
    """Install (or reuse), seed and measure the peer. Returns its samples in ms, or ``{"skipped": why}``."""
    missing = missing_tools()
    if missing:
        why = f"{' and '.join(missing)} not found on PATH: the PouchDB peer is skipped"
        log(f"== pouchdb: {why} ==")
        return {"skipped": why}
    log("== pouchdb peer ==")
    workdir = Path(tempfile.mkdtemp(prefix="levee-bench-pouchdb-"))
    try:
        with _sigterm_as_exit():
            modules = install(peer_dir or workdir / "npm")
            with pouchdb_server(modules, workdir / "server") as url:
                settings = {
                    "initial_reps": initial_reps,
                    "reps": reps,
                    "batch": batch,
                    "batch_size": batch_size,
                }
                (workdir / "device").mkdir()
                cmd = [
                    "node",
                    str(SCRIPT),
                    str(modules),
                    url,
                    str(docs),
                    str(workdir / "device"),
                    json.dumps(settings),
                ]
                proc = _child(cmd, workdir, stdout=subprocess.PIPE)
                try:
                    stdout, _ = proc.communicate(timeout=RUN_TIMEOUT_S)
                finally:
                    _stop(proc)
                if proc.returncode != 0:
                    raise RuntimeError(
                        f"the PouchDB peer failed (exit {proc.returncode}); see its stderr above"
                    )
            result: dict[str, Any] = json.loads(stdout.decode().strip().splitlines()[-1])
            result["versions"] = {
                "pouchdb": POUCHDB,
                "pouchdb_server": POUCHDB_SERVER,
                "node": _node_version(),
            }
            result["documents_bytes"] = docs.stat().st_size
            log(
                f"  {result['docs']} documents ({result['jobs']} jobs), {docs.stat().st_size / 1e6:.1f} MB of JSON"
            )
            return result
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _node_version() -> str:
    return subprocess.run(["node", "--version"], capture_output=True, text=True, check=False).stdout.strip()
