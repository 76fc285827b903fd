"""What the office reads about its people beyond the plain user model: the dispatcher's engineer list
(open load and how long since each tablet last synced), filled by ``server/directory/engineers.py``."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from shared.stations import EngineerPlace


class EngineerLoad(BaseModel):
    """One engineer as the dispatcher weighs them: open jobs and how fresh their tablet's data is."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    username: str
    display_name: str
    phone: str
    active: bool
    open_jobs: int = Field(description="jobs assigned to them in an open status (on hold included)")
    major_open: int = Field(description="of those, major faults")
    breached_open: int = Field(description="of those, past a respond, on-site or fix deadline not yet kept")
    devices: int = Field(description="signed-in devices that are not revoked")
    last_sync_at: datetime | None = Field(
        description="newest sync of any of their devices (a finished pull or a push, stamped at most every "
        "30 s; or a long-poll, to the minute); None if never"
    )
    place: EngineerPlace | None = Field(
        default=None,
        description="their service station; with ?site_id, whether it covers the site and how far it is",
    )
