"""What the customer screens share: a link to a job, the statuses after which a job is final
(``shared.job_rules.FINAL``)."""

from __future__ import annotations

import flet as ft

from console.components.widgets import button
from console.state import Office
from shared.job_rules import FINAL

__all__ = ["FINAL", "job_link"]


def job_link(office: Office, number: str, job_id: str) -> ft.Control:
    return button(number, lambda _e: office.go(f"/job/{job_id}"), kind="quiet")
