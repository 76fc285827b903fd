"""The service network for managers (售后服务站、特约维修点): each station or repair point with its address,
position, area (regions) and engineers; adding or editing one; choosing its engineers; and the regions,
each with the station covering it and its customers."""

from __future__ import annotations

from typing import Any

import flet as ft

from console.clients.stations import StationsClient
from console.clients.stock import checked
from console.components.widgets import button, chip, chips, error_text, muted, on, pairs, panel, title
from console.context import use_office
from console.logic.stations import parse_position, toggle
from console.state import ConsoleState, use_draft, use_remote
from shared.stations import (
    Members,
    Places,
    RegionIn,
    RegionUpdate,
    StationIn,
    StationKind,
    StationOut,
    StationUpdate,
)
from ui.components.common import text_field

NEW = "new"


@ft.component
def StationsScreen(state: ConsoleState) -> ft.Control:
    office = use_office()
    t = state.t
    directory = office.directory
    loaded = use_remote(office, lambda api: StationsClient(api).network(), [state.revision])
    editing, set_editing = ft.use_state(NEW)  # the station the form edits, or NEW
    name, set_name = use_draft(office, "stations.name", "")
    kind, set_kind = use_draft(office, "stations.kind", StationKind.STATION.value)
    address, set_address = use_draft(office, "stations.address", "")
    phone, set_phone = use_draft(office, "stations.phone", "")
    lat, set_lat = use_draft(office, "stations.lat", "")
    lon, set_lon = use_draft(office, "stations.lon", "")
    crew_of, set_crew_of = ft.use_state("")  # the station whose engineers are being chosen
    no_ids: list[str] = []
    crew, set_crew = ft.use_state(no_ids)
    region_name, set_region_name = use_draft(office, "stations.region_name", "")
    region_station, set_region_station = use_draft(office, "stations.region_station", "")
    open_region, set_open_region = ft.use_state("")
    region_customers, set_region_customers = ft.use_state(no_ids)

    body: list[ft.Control] = [title(t("console.stations.title")), muted(t("console.stations.explain"))]
    if loaded.error:
        body.append(error_text(loaded.error))
    network = loaded.value
    if network is None:
        body.append(muted(t("console.common.loading")))
        return ft.ListView(body, spacing=12, padding=16, expand=True)
    station_names = {str(s.id): s.name for s in network.stations}

    def edit(station: StationOut) -> None:
        set_editing(str(station.id))
        set_name(station.name)
        set_kind(station.kind.value)
        set_address(station.address)
        set_phone(station.phone)
        set_lat("" if station.latitude is None else str(station.latitude))
        set_lon("" if station.longitude is None else str(station.longitude))

    def choose_crew(station: StationOut) -> None:
        set_crew_of(str(station.id))
        set_crew([str(e.id) for e in station.engineers])

    async def save_crew() -> None:
        if await office.act(
            lambda api: StationsClient(api).members(crew_of, checked(Members, engineer_ids=crew)),
            done=t("console.stations.members_saved", name=station_names.get(crew_of, "")),
        ):
            set_crew_of("")

    for i, station in enumerate(network.stations):
        ident = str(station.id)
        position = (
            f"{station.latitude:.4f}, {station.longitude:.4f}"
            if station.latitude is not None and station.longitude is not None
            else t("console.stations.no_position")
        )
        lines: list[ft.Control] = [
            pairs(
                [
                    (t("console.stations.kind"), t(f"enum.station_kind.{station.kind.value}")),
                    (t("console.stations.address"), station.address or "—"),
                    (t("console.stations.phone"), station.phone or "—"),
                    (t("console.stations.position"), position),
                    (t("console.stations.area"), "、".join(r.name for r in station.regions) or "—"),
                    (
                        t("console.stations.engineers"),
                        "、".join(e.display_name for e in station.engineers) or "—",
                    ),
                ]
            ),
            ft.Row(
                [
                    button(
                        t("console.stations.edit"), on(edit, station), kind="quiet", ident=f"station-edit-{i}"
                    ),
                    button(
                        t("console.stations.choose_engineers"),
                        on(choose_crew, station),
                        kind="quiet",
                        ident=f"station-members-{i}",
                    ),
                ],
                spacing=8,
                wrap=True,
            ),
        ]
        if crew_of == ident:
            lines += [
                muted(t("console.stations.members_explain")),
                chips(
                    [
                        chip(
                            e["display_name"],
                            e["id"] in crew,
                            on(set_crew, toggle(crew, e["id"])),
                            ident=f"member-{e['username']}",
                        )
                        for e in sorted(directory.engineers.values(), key=lambda e: e["display_name"])
                        if e.get("active", True)
                    ]
                ),
                button(t("console.stations.save_members"), on(save_crew), kind="ok", ident="members-save"),
            ]
        heading = station.name if station.active else t("console.stations.inactive", name=station.name)
        body.append(panel(heading, lines, ident=f"station-{i}"))
    if not network.stations:
        body.append(muted(t("console.stations.none")))

    async def save() -> None:
        try:
            latitude, longitude = parse_position(lat, lon)
        except ValueError:
            state.tell(t("console.stations.bad_position"), error=True)
            return
        fields: dict[str, Any] = {
            "name": name,
            "kind": kind,
            "address": address,
            "phone": phone,
            "latitude": latitude,
            "longitude": longitude,
        }
        if editing == NEW:
            done = t("console.stations.added", name=name.strip())
            result = await office.act(
                lambda api: StationsClient(api).add(checked(StationIn, **fields)), done=done
            )
        else:
            done = t("console.stations.saved", name=name.strip())
            result = await office.act(
                lambda api: StationsClient(api).change(editing, checked(StationUpdate, **fields)), done=done
            )
        if result:
            set_editing(NEW)
            office.forget("stations.")
            for setter in (set_name, set_address, set_phone, set_lat, set_lon):
                setter("")
            set_kind(StationKind.STATION.value)

    def new_form() -> None:
        set_editing(NEW)
        office.forget("stations.")
        for setter in (set_name, set_address, set_phone, set_lat, set_lon):
            setter("")
        set_kind(StationKind.STATION.value)

    form: list[ft.Control] = [
        chips(
            [
                chip(
                    t(f"enum.station_kind.{k.value}"),
                    kind == k.value,
                    on(set_kind, k.value),
                    ident=f"kind-{k.value}",
                )
                for k in StationKind
            ]
        ),
        ft.Row(
            [
                ft.Container(
                    text_field(t("console.stations.name"), name, lambda e: set_name(e.control.value)),
                    width=260,
                ),
                ft.Container(
                    text_field(
                        t("console.stations.address"), address, lambda e: set_address(e.control.value)
                    ),
                    width=320,
                ),
                ft.Container(
                    text_field(t("console.stations.phone"), phone, lambda e: set_phone(e.control.value)),
                    width=180,
                ),
                ft.Container(
                    text_field(
                        t("console.stations.latitude"),
                        lat,
                        lambda e: set_lat(e.control.value),
                        hint="30.5928",
                    ),
                    width=150,
                ),
                ft.Container(
                    text_field(
                        t("console.stations.longitude"),
                        lon,
                        lambda e: set_lon(e.control.value),
                        hint="114.3055",
                    ),
                    width=150,
                ),
            ],
            wrap=True,
            spacing=10,
            run_spacing=10,
        ),
        ft.Row(
            [
                button(t("console.stations.save"), on(save), kind="ok", ident="station-save"),
                button(t("console.stations.new"), on(new_form), kind="quiet", ident="station-new")
                if editing != NEW
                else ft.Container(),
            ],
            spacing=8,
        ),
    ]
    heading = (
        t("console.stations.add_title")
        if editing == NEW
        else t("console.stations.edit_title", name=station_names.get(editing, ""))
    )
    body.append(panel(heading, form, ident="station-form"))

    # --- regions: their station and their customers ----------------------------------------------
    async def add_region() -> None:
        body_in = checked(RegionIn, name=region_name, station_id=region_station or None)
        if await office.act(
            lambda api: StationsClient(api).add_region(body_in),
            done=t("console.stations.region_added", name=region_name.strip()),
        ):
            set_region_name("")

    async def cover(region_id: str, station_id: str) -> None:
        await office.act(
            lambda api: StationsClient(api).change_region(
                region_id, checked(RegionUpdate, station_id=station_id or None)
            ),
            done=t("console.stations.region_saved"),
        )

    async def save_customers(region_id: str) -> None:
        region = next(r for r in network.regions if str(r.id) == region_id)
        places = checked(Places, customer_ids=region_customers, site_ids=[str(s) for s in region.site_ids])
        if await office.act(
            lambda api: StationsClient(api).places(region_id, places), done=t("console.stations.region_saved")
        ):
            set_open_region("")

    def open_customers(region_id: str, customers: list[str]) -> None:
        set_open_region(region_id)
        set_region_customers(customers)

    region_lines: list[ft.Control] = []
    for i, region in enumerate(network.regions):
        rid = str(region.id)
        customers = [str(c) for c in region.customer_ids]
        names = "、".join(directory.name("customers", c) for c in customers) or "—"
        region_lines.append(
            ft.Row(
                [
                    ft.Text(region.name, size=16, weight=ft.FontWeight.W_600, width=140),
                    chips(
                        [
                            chip(
                                t("console.stations.uncovered"),
                                region.station_id is None,
                                on(cover, rid, ""),
                                ident=f"region-{i}-none",
                            ),
                            *(
                                chip(
                                    s.name,
                                    region.station_id == s.id,
                                    on(cover, rid, str(s.id)),
                                    ident=f"region-{i}-{j}",
                                )
                                for j, s in enumerate(network.stations)
                            ),
                        ]
                    ),
                    muted(t("console.stations.region_customers", names=names)),
                    button(
                        t("console.stations.choose_customers"),
                        on(open_customers, rid, customers),
                        kind="quiet",
                        ident=f"region-customers-{i}",
                    ),
                ],
                wrap=True,
                spacing=8,
                vertical_alignment=ft.CrossAxisAlignment.CENTER,
            )
        )
        if open_region == rid:
            region_lines += [
                chips(
                    [
                        chip(
                            c["name"],
                            c["id"] in region_customers,
                            on(set_region_customers, toggle(region_customers, c["id"])),
                        )
                        for c in sorted(directory.customers.values(), key=lambda c: c["name"])
                    ]
                ),
                button(
                    t("console.stations.save_customers"),
                    on(save_customers, rid),
                    kind="ok",
                    ident="region-save",
                ),
            ]
    region_lines += [
        muted(t("console.stations.add_region")),
        ft.Row(
            [
                ft.Container(
                    text_field(
                        t("console.stations.region_name"),
                        region_name,
                        lambda e: set_region_name(e.control.value),
                    ),
                    width=220,
                ),
                chips(
                    [chip(t("console.stations.uncovered"), not region_station, on(set_region_station, ""))]
                    + [
                        chip(s.name, region_station == str(s.id), on(set_region_station, str(s.id)))
                        for s in network.stations
                    ]
                ),
                button(
                    t("console.stations.add_region_button"), on(add_region), kind="quiet", ident="region-add"
                ),
            ],
            wrap=True,
            spacing=8,
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
        ),
    ]
    body.append(panel(t("console.stations.regions", n=len(network.regions)), region_lines, ident="regions"))
    return ft.ListView(body, spacing=12, padding=16, expand=True)
