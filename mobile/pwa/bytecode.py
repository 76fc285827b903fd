"""Bytecode for the next start of the field app in the browser (issue 14: start-up time).

Pyodide's Python ships its standard library as sources in a zip and cannot keep the ``.pyc`` files it
compiles (its file system is memory), so every start compiled every module it imported: most of a
start's Python time. Once the app is up on a start without bytecode, :func:`keep_bytecode` compiles
the modules that start imported, one at a time between the app's own work, and hands two files to
the worker (python-worker.js), which keeps them in Cache Storage under the build's version:

* ``stdlib.zip``: Pyodide's standard library zip with a ``.pyc`` beside each imported module (the
  worker puts it on ``PYTHONPATH``, in front of Pyodide's own: ``zipimport`` takes ``.pyc`` first);
* ``app.bin``: ``__pycache__/*.pyc`` of the app's and the wheels' imported modules.

All of them are *unchecked hash-based* pycs (PEP 552): Python uses them without looking at the
sources' times, which the next start's unpacked files do not keep. That is safe only because the
cache belongs to one build (the build's version is a digest of every source and of Pyodide), so a
``.pyc`` never outlives its source.
"""

from __future__ import annotations

import asyncio
import importlib.util
import io
import logging
import marshal
import struct
import sys
from pathlib import Path
from typing import Any

log = logging.getLogger("levee.pwa")

STDLIB_ZIP = "/lib/python{}{}.zip".format(*sys.version_info[:2])
HOME = Path("/home/pyodide")
START_AFTER_S = 20.0  # let the first screen settle (and the engineer sign in) before compiling


def _pyc(code: Any, source: bytes) -> bytes:
    """An unchecked hash-based pyc (PEP 552: flags 0b01)."""
    return (
        importlib.util.MAGIC_NUMBER
        + struct.pack("<I", 0b01)
        + importlib.util.source_hash(source)
        + marshal.dumps(code)
    )


def _imported() -> list[tuple[str, str, bool]]:
    """(module, source path, is package) of every imported module with Python source."""
    found = []
    for name, module in list(sys.modules.items()):
        spec = getattr(module, "__spec__", None)
        origin = getattr(spec, "origin", None)
        if not isinstance(origin, str) or not origin.endswith(".py"):
            continue
        found.append((name, origin, bool(getattr(spec, "submodule_search_locations", None))))
    return sorted(found)


async def compile_imported() -> tuple[bytes, bytes]:
    """(stdlib zip with .pyc, app blob) for what this process imported."""
    import zipfile

    stdlib: dict[str, bytes] = {}
    app: dict[str, bytes] = {}
    prefix = STDLIB_ZIP + "/"
    home = str(HOME) + "/"
    with zipfile.ZipFile(STDLIB_ZIP) as original:
        for _name, origin, _package in _imported():
            # One module at a time, then the app's own events: a batch holding Python for a second
            # delays key strokes enough for Flet's text fields to lose characters (seen at sign-in).
            await asyncio.sleep(0)
            if origin.startswith(prefix):
                inner = origin[len(prefix) :]
                source = original.read(inner)
                code = compile(source, origin, "exec", dont_inherit=True)
                stdlib[inner[: -len(".py")] + ".pyc"] = _pyc(code, source)
            elif origin.startswith(home):
                source = Path(origin).read_bytes()  # noqa: ASYNC240 - Emscripten memory file system
                code = compile(source, origin, "exec", dont_inherit=True)
                app[importlib.util.cache_from_source(origin)[len(home) :]] = _pyc(code, source)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as out:
            for n, info in enumerate(original.infolist()):
                if n % 50 == 0:
                    await asyncio.sleep(0)
                data = original.read(info)
                info.compress_type = zipfile.ZIP_STORED  # read without inflating at every start
                out.writestr(info, data)
            for name, pyc in sorted(stdlib.items()):
                out.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), pyc)
    return buffer.getvalue(), _blob(app)


def _blob(files: dict[str, bytes]) -> bytes:
    """(u32 name length, name, u32 size, bytes) for each file: what python-worker.js's unblob reads."""
    out = bytearray()
    for name, data in sorted(files.items()):
        encoded = name.encode()
        out += struct.pack("<I", len(encoded)) + encoded + struct.pack("<I", len(data)) + data
    return bytes(out)


async def keep_bytecode() -> None:
    """On a start without bytecode: compile what was imported and let the worker keep it."""
    import js
    from pyodide.ffi import to_js

    await asyncio.sleep(START_AFTER_S)
    try:
        stdlib, app = await compile_imported()
        await js.leveeKeepBytecode(to_js(stdlib), to_js(app))
    except Exception:  # pragma: no cover - only the next start's speed depends on it
        log.exception("keeping the bytecode for the next start failed")
