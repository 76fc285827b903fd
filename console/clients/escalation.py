"""The escalation API as the notification centre and the rules screen call it, over the server's own
schemas (:mod:`shared.escalation`): a body the schema refuses never leaves the console."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from console.api import ConsoleApi
from shared.escalation import NotificationOut, RuleIn, RuleOut, ScanResult, UnreadCount


@dataclass(frozen=True)
class Escalation:
    """What the rules screen starts from: the rules and the newest notifications of the log."""

    rules: list[RuleOut]
    log: list[NotificationOut]


class EscalationClient:
    def __init__(self, api: ConsoleApi) -> None:
        self.api = api

    async def unread(self) -> int:
        return UnreadCount.model_validate(await self.api.get("/api/notifications/unread-count")).unread

    async def mine(self) -> list[NotificationOut]:
        return [NotificationOut.model_validate(n) for n in await self.api.get("/api/notifications")]

    async def read(self, notification_id: str) -> NotificationOut:
        return NotificationOut.model_validate(
            await self.api.post(f"/api/notifications/{notification_id}/read")
        )

    async def read_all(self) -> int:
        return UnreadCount.model_validate(await self.api.post("/api/notifications/read-all")).unread

    async def overview(self) -> Escalation:
        rules, log = await asyncio.gather(
            self.api.get("/api/escalation/rules"), self.api.get("/api/escalation/log")
        )
        return Escalation(
            rules=[RuleOut.model_validate(r) for r in rules],
            log=[NotificationOut.model_validate(n) for n in log[:100]],
        )

    async def add_rule(self, rule: RuleIn) -> RuleOut:
        return RuleOut.model_validate(
            await self.api.post("/api/escalation/rules", rule.model_dump(mode="json"))
        )

    async def replace_rule(self, rule_id: str, rule: RuleIn) -> RuleOut:
        return RuleOut.model_validate(
            await self.api.put(f"/api/escalation/rules/{rule_id}", rule.model_dump(mode="json"))
        )

    async def delete_rule(self, rule_id: str) -> None:
        await self.api.request("DELETE", f"/api/escalation/rules/{rule_id}")

    async def scan(self) -> ScanResult:
        return ScanResult.model_validate(await self.api.post("/api/escalation/scan"))
