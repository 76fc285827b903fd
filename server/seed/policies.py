"""The demo's SLA policies: the default limits and the customers with stricter contracts."""

from __future__ import annotations

from server.db.models import SlaPolicy
from server.seed.reference import CONTRACT_SLA, DEFAULT_SLA
from server.seed.state import BuildState
from shared.enums import Severity
from shared.sla import SlaLimits


class Policies(BuildState):
    """The SLA policies: the defaults and the stricter contracts."""

    def build_policies(self) -> list[SlaPolicy]:
        rows = []
        for sev, (r, o, f, b) in DEFAULT_SLA.items():
            rows.append(
                SlaPolicy(
                    customer_id=None,
                    severity=sev.value,
                    respond_minutes=r,
                    onsite_minutes=o,
                    fix_minutes=f,
                    backup_minutes=b,
                )
            )
            self.policies[(None, sev)] = SlaLimits(r, o, f, b)
        for ci, by_sev in CONTRACT_SLA.items():
            for sev, (r, o, f, b) in by_sev.items():
                rows.append(
                    SlaPolicy(
                        customer_id=self.customers[ci].id,
                        severity=sev.value,
                        respond_minutes=r,
                        onsite_minutes=o,
                        fix_minutes=f,
                        backup_minutes=b,
                    )
                )
                self.policies[(ci, sev)] = SlaLimits(r, o, f, b)
        for p in rows:
            assert p.respond_minutes <= p.onsite_minutes <= p.fix_minutes
        return rows

    def limits(self, ci: int, sev: Severity) -> SlaLimits:
        return self.policies.get((ci, sev)) or self.policies[(None, sev)]
