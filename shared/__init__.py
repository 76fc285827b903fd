"""The domain words the server, the field app and the console share: enums, pydantic models, the rules
both sides apply (SLA clocks, roles, warranty, acceptance) and the user-facing text. No I/O, no framework.

It offers its modules, listed in ``__all__`` and described in docs/architecture.md ("What shared/
offers"); import names from the module that holds them (``from shared.sla import Promise``).
"""

__all__ = [
    "acceptance",
    "clock",
    "conflicts",
    "contacts",
    "contracts",
    "customers",
    "delivery",
    "directory",
    "enums",
    "escalation",
    "i18n",
    "ids",
    "job_rules",
    "knowledge",
    "knowledge_search",
    "lifetime",
    "loan_rules",
    "loans",
    "local_time",
    "models",
    "paid",
    "paid_rules",
    "people",
    "quality",
    "refusals",
    "relay",
    "reports",
    "returns",
    "roles",
    "schedules",
    "service_form",
    "sla",
    "stations",
    "stock",
    "warranty",
]
