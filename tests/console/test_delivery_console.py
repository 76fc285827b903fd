"""The delivery-documents panel without a browser: a received document needs its day, a picked file is
sent with the type the server accepts (or refused before sending), and the console's upload and download
of a scan through the real server on both databases, a refusal told in words."""

from __future__ import annotations

import io

import pytest

from console.logic.customers import FormError
from console.logic.delivery import document_body, scan_type, units_to_show
from shared.delivery import MAX_SCAN_BYTES
from tests.console.test_console_client import office_for
from tests.support import PASSWORD, World


def test_a_received_document_is_sent_with_its_day_and_a_missing_one_without() -> None:
    assert document_body(True, " 2024-05-06 ", " 原件 ") == {
        "received": True,
        "received_on": "2024-05-06",
        "note": "原件",
    }
    assert document_body(False, "2024-05-06") == {"received": False, "received_on": None, "note": ""}
    for day in ("", "2024/05/06", "tomorrow"):
        with pytest.raises(FormError) as refused:
            document_body(True, day)
        assert refused.value.key == "console.delivery.bad_date"


def test_the_panel_lists_the_units_missing_a_document_and_folds_the_complete_ones() -> None:
    def unit(name: str, *received: bool) -> dict[str, object]:
        return {"serial_no": name, "documents": [{"received": r} for r in received]}

    units = [unit("A", True, True, True), unit("B", True, False, True), unit("C", True, True, True)]
    shown, folded = units_to_show(units, show_all=False)
    assert ([u["serial_no"] for u in shown], folded) == (["B"], 2)
    assert units_to_show(units, show_all=True) == (units, 0)
    assert units_to_show([units[0]], show_all=False) == ([], 1)  # all in order: one line, nothing listed


def test_a_picked_file_is_sent_as_its_type_or_refused_before_sending() -> None:
    assert scan_type("合格证.JPG", 10) == "image/jpeg"
    assert scan_type("manual.pdf", MAX_SCAN_BYTES) == "application/pdf"
    for name, size, key in (
        ("scan.gif", 10, "console.delivery.bad_type"),
        ("scan", 10, "console.delivery.bad_type"),
        ("scan.pdf", MAX_SCAN_BYTES + 1, "console.delivery.too_large"),
    ):
        with pytest.raises(FormError) as refused:
            scan_type(name, size)
        assert refused.value.key == key


async def test_the_console_uploads_a_scan_and_downloads_it_back(world: World) -> None:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (30, 20), (250, 250, 240)).save(out, "JPEG")
    office = office_for(world)
    await office.sign_in("http://levee.test", "dispatcher", PASSWORD, "后台浏览器")
    base = f"/api/equipment/{world.equipment_id}/documents/warranty_card"
    api = office.require()
    saved = await office.act(
        lambda a: a.upload(base + "/scan", out.getvalue(), "image/jpeg", filename="保修卡.jpg")
    )
    assert isinstance(saved, dict) and saved["scan_filename"] == "保修卡.jpg"
    data, _name = await api.download(base + "/scan")
    assert data == out.getvalue()
    refused = await office.act(lambda a: a.upload(base + "/scan", b"not a pdf", "application/pdf"))
    assert refused is None
    assert office.state.notice_error and "不是可读的 application/pdf" in office.state.notice
    await office.sign_out()
