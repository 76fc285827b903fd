"""Counting a store: the differences shown line by line before the count is posted (``count-*``)."""

from __future__ import annotations

from typing import Any

import flet as ft

from console.clients.stock import Books, StockClient, checked
from console.components.widgets import button, muted, on, panel, table
from console.context import use_office
from console.logic.stock import PreviewLine, count_body, count_preview, count_problem, ordered_stores, signed
from console.logic.times import full
from console.screens.stock.common import store_chips
from console.state import ConsoleState, use_draft
from shared.stock import CountIn, CountOut
from ui.components.common import INK, MUTED, RED, keyed, tagged, text_field


@ft.component
def CountLineRow(state: ConsoleState, line: PreviewLine, typed: tuple[str, str], change: Any) -> ft.Control:
    t = state.t
    diff_text = "—" if line.counted is None else signed(line.difference)
    return tagged(
        f"count-line-{line.part_code}",
        ft.Row(
            [
                ft.Text(f"{line.part_code} {line.part_name}", size=15, color=INK, width=260),
                ft.Text(t("console.stock.book", n=line.book), size=15, color=MUTED, width=110),
                ft.Container(
                    text_field(
                        t("console.stock.counted_of", code=line.part_code),
                        typed[0],
                        lambda e: change(line.part_id, counted=e.control.value),
                        number=True,
                        error=t("console.stock.bad_quantity") if line.bad_number else None,
                    ),
                    width=180,
                ),
                ft.Text(
                    t("console.stock.difference", d=diff_text),
                    size=15,
                    color=RED if line.difference else INK,
                    width=110,
                ),
                ft.Container(
                    text_field(
                        t("console.stock.reason_of", code=line.part_code),
                        typed[1],
                        lambda e: change(line.part_id, reason=e.control.value),
                        error=t("console.stock.reason_needed") if line.needs_reason else None,
                    ),
                    width=320,
                ),
            ],
            wrap=True,
            spacing=10,
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
        ),
    )


@ft.component
def CountSection(state: ConsoleState, books: Books) -> ft.Control:
    office = use_office()
    t = state.t
    stores = [s for s in ordered_stores(books.stores) if s.get("active")]
    store, set_store = use_draft(office, "stock.count.store", "")
    nothing_typed: dict[str, tuple[str, str]] = {}
    no_count: CountOut | None = None
    typed, set_typed = use_draft(office, "stock.count.typed", nothing_typed)
    note, set_note = use_draft(office, "stock.count.note", "")
    adding, set_adding = use_draft(office, "stock.count.adding", "")
    posted, set_posted = ft.use_state(no_count)
    store = store or (stores[0]["id"] if stores else "")
    lines = count_preview(books.parts, books.balances, store, typed)
    problem = count_problem(lines)

    def pick(store_id: str) -> None:
        set_store(store_id)
        set_typed({})
        set_posted(None)

    def change(part_id: str, *, counted: str | None = None, reason: str | None = None) -> None:
        """One field of one line, applied to the newest typed values (not those of the render that made
        the field: a line scrolled away and back, or a second keystroke before the re-render, would
        otherwise put back an old value of the other field)."""

        def update(current: dict[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
            old = current.get(part_id, ("", ""))
            new = (old[0] if counted is None else counted, old[1] if reason is None else reason)
            return {**current, part_id: new}

        set_typed(update)

    def add_part() -> None:
        match = next(
            (
                p
                for p in books.parts
                if adding.strip() and adding.strip().lower() in f"{p['code']} {p['name']}".lower()
            ),
            None,
        )
        if match is None:
            state.tell(t("console.stock.no_such_part"), error=True)
            return
        part_id = str(match["id"])
        set_typed(lambda current: {**current, part_id: (current.get(part_id, ("0", ""))[0] or "0", "")})
        set_adding("")

    async def post() -> None:
        result = await office.act(
            lambda api: StockClient(api).count(checked(CountIn, **count_body(store, note, lines))),
            done=t("console.stock.count_posted"),
        )
        if isinstance(result, CountOut):
            set_posted(result)
            set_typed({})
            set_note("")

    controls: list[ft.Control] = [
        store_chips(state, office, stores, store, pick, "count-store"),
        muted(t("console.stock.count_explain")),
        *[
            keyed(CountLineRow)(state, line, typed.get(line.part_id, ("", "")), change, key=line.part_id)
            for line in lines
        ],
        ft.Row(
            [
                ft.Container(
                    text_field(t("console.stock.add_part"), adding, lambda e: set_adding(e.control.value)),
                    width=300,
                ),
                button(
                    t("console.stock.add_part_button"), lambda _e: add_part(), kind="quiet", ident="count-add"
                ),
            ],
            spacing=10,
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
        ),
    ]
    changed = [line for line in lines if line.counted is not None and line.difference]
    if changed:
        controls.append(
            tagged(
                "count-preview",
                table(
                    [
                        t("parts_report.col.part_code"),
                        t("console.stock.book_col"),
                        t("console.stock.counted_col"),
                        t("console.stock.difference_col"),
                        t("console.stock.reason_col"),
                    ],
                    [
                        [x.part_code, str(x.book), str(x.counted), signed(x.difference), x.reason]
                        for x in changed
                    ],
                    numeric=(1, 2, 3),
                ),
            )
        )
    controls += [
        ft.Row(
            [
                ft.Container(
                    text_field(t("console.stock.count_note"), note, lambda e: set_note(e.control.value)),
                    width=360,
                ),
                button(
                    t("console.stock.count_submit"), on(post), ident="count-submit", disabled=bool(problem)
                ),
            ],
            wrap=True,
            spacing=10,
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
        )
    ]
    if problem:
        controls.append(tagged("count-problem", muted(t(problem))))
    if posted is not None:
        controls.append(
            tagged(
                "count-result",
                panel(
                    t(
                        "console.stock.count_result",
                        when=full(posted.counted_at, office.tz),
                    ),
                    [
                        table(
                            [
                                t("parts_report.col.part_code"),
                                t("console.stock.book_col"),
                                t("console.stock.counted_col"),
                                t("console.stock.difference_col"),
                                t("console.stock.reason_col"),
                            ],
                            [
                                [
                                    x.part_code,
                                    str(x.book_quantity),
                                    str(x.counted_quantity),
                                    signed(x.difference),
                                    x.reason,
                                ]
                                for x in posted.lines
                            ],
                            numeric=(1, 2, 3),
                        )
                    ],
                ),
            )
        )
    return panel(t("console.stock.count_title"), controls, ident="stock-count")
