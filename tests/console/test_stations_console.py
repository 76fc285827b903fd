"""The stations screen's pure rules: typed positions, a job's station on the board, and how an
engineer's place reads on the dispatcher's engineer choice (Chinese first)."""

from __future__ import annotations

import pytest

from console.logic.stations import ANY, NONE, in_station, parse_position, place_words, station_finder, toggle
from shared.i18n import translate


def test_parse_position() -> None:
    assert parse_position("", " ") == (None, None)
    assert parse_position("30.5928", "114.3055") == (30.5928, 114.3055)
    for lat, lon in (("30.1", ""), ("", "114"), ("abc", "114"), ("91", "114"), ("30", "181")):
        with pytest.raises(ValueError):
            parse_position(lat, lon)


def test_toggle() -> None:
    assert toggle(["a", "b"], "a") == ["b"]
    assert toggle(["b"], "a") == ["b", "a"]


def test_a_jobs_station_is_its_sites_region_else_its_customers() -> None:
    regions = [
        {"id": "r1", "station_id": "s1", "customer_ids": ["c1"], "site_ids": []},
        {"id": "r2", "station_id": "s2", "customer_ids": [], "site_ids": ["x2"]},
        {"id": "r3", "station_id": None, "customer_ids": ["c3"], "site_ids": []},
    ]
    of = station_finder(regions)
    assert of({"customer_id": "c1", "site_id": "x1"}) == "s1"
    assert of({"customer_id": "c1", "site_id": "x2"}) == "s2"  # the site's own region wins
    assert of({"customer_id": "c3", "site_id": "x3"}) is None
    assert of({"customer_id": "c9", "site_id": "x9"}) is None
    job = {"customer_id": "c1", "site_id": "x1"}
    assert in_station(job, ANY, of) and in_station(job, "s1", of)
    assert not in_station(job, "s2", of) and not in_station(job, NONE, of)
    assert in_station({"customer_id": "c3", "site_id": "x3"}, NONE, of)


def test_place_words_in_chinese_and_english() -> None:
    place = {"station_name": "九江特约维修点", "station_kind": "repair_point", "distance_km": 4.04}
    zh = place_words(lambda key, **kw: translate("zh-CN", key, **kw), place)
    assert zh == ["九江特约维修点（特约维修点）", "距现场 4.0 公里"]
    en = place_words(lambda key, **kw: translate("en", key, **kw), {"site_region": "抚州市"})
    assert en == ["No station", "Site region: 抚州市"]
    assert place_words(lambda key, **kw: key, None) == []
