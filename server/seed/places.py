"""The demo's customers (county water bureaus), their sites and the equipment delivered to them."""

from __future__ import annotations

from datetime import timedelta

from server.db.models import Customer, Equipment, Site
from server.seed.people import People
from server.seed.reference import CST, CUSTOMERS, EQUIPMENT_MODELS, HISTORY_DAYS, SITE_STOCK
from server.seed.state import Eq, add_years
from shared.ids import uuid7


class Places(People):
    """Customers, their sites, and the equipment delivered to them."""

    def build_places(self) -> None:
        for ci, (cdef, site_defs) in enumerate(CUSTOMERS):
            customer = Customer(
                id=uuid7(),
                name=cdef.name,
                contract_no=cdef.contract_no,
                contact_name=self.person(),
                contact_phone=self.landline(cdef.area_code),
                address=cdef.address,
                warranty_years=cdef.warranty_years,
            )
            self.customers.append(customer)
            for sdef in site_defs:
                site = Site(
                    id=uuid7(),
                    customer_id=customer.id,
                    name=sdef.name,
                    address=sdef.address,
                    contact_name=self.person(),
                    contact_phone=self.mobile(),
                    latitude=round(min(29.0, max(27.0, cdef.lat + sdef.dlat)), 5),
                    longitude=round(min(117.0, max(115.0, cdef.lon + sdef.dlon)), 5),
                )
                self.sites.append((ci, sdef, site))

    def build_equipment(self) -> None:
        today = self.now.astimezone(CST).date()
        # Each contract was delivered in two batches; two customers got their second batch just before
        # the history window, which is where the installation jobs come from.
        batches: list[tuple[int, int]] = []
        for cdef, _ in CUSTOMERS:
            # Two-year contracts are the older ones (2024): some of that equipment is out of warranty.
            first = self.rng.randint(760, 890) if cdef.warranty_years == 2 else self.rng.randint(430, 520)
            second = (
                self.rng.randint(HISTORY_DAYS + 3, HISTORY_DAYS + 12)
                if cdef.recent_delivery
                else (self.rng.randint(200, 400))
            )
            batches.append((first, second))
        for cat, count, models in EQUIPMENT_MODELS:
            homes = [(ci, sdef, site) for ci, sdef, site in self.sites if cat in SITE_STOCK[sdef.kind]]
            weights = [SITE_STOCK[sdef.kind][cat] for _, sdef, _ in homes]
            for n in range(1, count + 1):
                ci, _, site = self.rng.choices(homes, weights)[0]
                model, prefix, _ = self.rng.choices(models, [w for _, _, w in models])[0]
                days_ago = self.rng.choice(batches[ci]) + self.rng.randint(-3, 3)
                days_ago = min(30 * 30, max(HISTORY_DAYS + 1, days_ago))
                delivered = today - timedelta(days=days_ago)
                row = Equipment(
                    id=uuid7(),
                    site_id=site.id,
                    category=cat.value,
                    model=model,
                    serial_no=f"{prefix}{delivered:%y%m}{n:04d}",
                    delivered_on=delivered,
                    warranty_end=add_years(delivered, CUSTOMERS[ci][0].warranty_years),
                )
                self.equipment.append(Eq(row, ci, site))
