"""The bytecode the field app keeps for its next start in the browser (mobile/pwa/bytecode.py): the
pycs it writes are taken by Python's import system without looking at the sources, and its blob is
the format python-worker.js reads."""

from __future__ import annotations

import importlib
import importlib.util
import struct
import sys
from pathlib import Path

import pytest

from mobile.pwa.bytecode import _blob, _pyc


def test_an_unchecked_hash_pyc_is_imported_whatever_the_source_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "levee_pyc_probe.py"
    source.write_text("ANSWER = 1\n")
    compiled = compile("ANSWER = 2\n", str(source), "exec", dont_inherit=True)
    cached = Path(importlib.util.cache_from_source(str(source)))
    cached.parent.mkdir()
    cached.write_bytes(_pyc(compiled, source.read_bytes()))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    importlib.invalidate_caches()
    try:
        module = importlib.import_module("levee_pyc_probe")
        assert module.ANSWER == 2  # from the pyc: its source was neither read nor checked
    finally:
        sys.modules.pop("levee_pyc_probe", None)


def test_the_blob_is_length_prefixed_names_and_bytes_in_name_order() -> None:
    blob = _blob({"b/__pycache__/x.pyc": b"\x01\x02", "a.pyc": b""})
    files = []
    at = 0
    while at < len(blob):
        (n,) = struct.unpack_from("<I", blob, at)
        name = blob[at + 4 : at + 4 + n].decode()
        at += 4 + n
        (size,) = struct.unpack_from("<I", blob, at)
        files.append((name, blob[at + 4 : at + 4 + size]))
        at += 4 + size
    assert files == [("a.pyc", b""), ("b/__pycache__/x.pyc", b"\x01\x02")]
