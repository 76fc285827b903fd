"""Who works at the demo's after-sales desk: engineers and office users, with names and phones."""

from __future__ import annotations

from server.db.models import User
from server.seed.reference import ENGINEER_NAMES, GIVEN_NAMES, MOBILE_PREFIXES, OFFICE_USERS, SURNAMES
from server.seed.state import BuildState
from shared.enums import Role
from shared.ids import uuid7


class People(BuildState):
    """The demo's people: engineers and office users, names and phone numbers."""

    def person(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN_NAMES)

    def mobile(self) -> str:
        prefix = self.rng.choice(MOBILE_PREFIXES)
        return prefix + f"{self.rng.randrange(10**8):08d}"

    def landline(self, area: str) -> str:
        return f"{area}-{self.rng.randrange(2, 9)}{self.rng.randrange(10**6):06d}"

    def build_users(self, password_hash: str) -> None:
        for i, name in enumerate(ENGINEER_NAMES, start=1):
            user = User(
                id=uuid7(),
                username=f"eng{i:02d}",
                display_name=name,
                role=Role.ENGINEER.value,
                phone=self.mobile(),
                password_hash=password_hash,
                active=True,
            )
            self.engineers.append(user)
            self.clock_skew[user.id] = self.rng.randint(-1500, 1500)
        self.users.extend(self.engineers)
        for username, name, role in OFFICE_USERS:
            user = User(
                id=uuid7(),
                username=username,
                display_name=name,
                role=role.value,
                phone=self.mobile(),
                password_hash=password_hash,
                active=True,
            )
            self.users.append(user)
            if role is Role.DISPATCHER:
                self.dispatcher = user
