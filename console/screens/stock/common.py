"""What the stock sections share: a store's stable key in identifiers, and a row of store chips."""

from __future__ import annotations

from typing import Any

import flet as ft

from console.api import JsonObject
from console.components.widgets import chip, chips, on
from console.logic.stock import store_key, store_label
from console.state import ConsoleState, Office


def key_of(office: Office, store: JsonObject) -> str:
    return store_key(store, office.directory.engineers)


def store_chips(
    state: ConsoleState,
    office: Office,
    stores: list[JsonObject],
    selected: str,
    pick: Any,
    prefix: str,
) -> ft.Control:
    return chips(
        [
            chip(
                store_label(state.lang, s),
                s["id"] == selected,
                on(pick, s["id"]),
                ident=f"{prefix}-{key_of(office, s)}",
            )
            for s in stores
        ]
    )
