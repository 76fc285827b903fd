"""``shipment.receive``: the engineer confirms on the tablet (offline) that parts shipped to them arrived.

The server is the judge: the shipment must be this engineer's (else ``unknown_shipment``) and in transit
(``shipment_not_in_transit``: a shipment waiting for a manager's approval never reaches the tablet, and one
the office received already is done). The units move from the transit store into the van through the
ledger, at the tablet's time of receipt. A second receipt of a received shipment changes nothing.
"""

from __future__ import annotations

from server.db.models import Shipment
from server.replication.context import Applied, PushContext, Rejected
from server.stock.ledger import StockError
from server.stock.planning import receive_shipment
from shared.stock import ShipmentStatus
from sync.protocol import Mutation, ShipmentReceiveArgs


async def apply(ctx: PushContext, mutation: Mutation, args: ShipmentReceiveArgs) -> Applied:
    shipment = await ctx.session.get(Shipment, args.shipment_id, with_for_update=True)
    if shipment is None or shipment.engineer_id != ctx.principal.user_id:
        raise Rejected("unknown_shipment", "this shipment is not on its way to you")
    if shipment.status == ShipmentStatus.RECEIVED.value:
        return Applied()  # received already (a resend, or the office recorded it): nothing changes
    if shipment.status != ShipmentStatus.IN_TRANSIT.value:
        raise Rejected("shipment_not_in_transit", f"this shipment is {shipment.status}, not in transit")
    try:
        await receive_shipment(
            ctx.session,
            shipment,
            by=ctx.principal.user_id,
            device_id=ctx.principal.device_id,
            at=args.received_at,
        )
    except StockError as exc:
        raise Rejected("stock_refused", exc.message) from None  # e.g. the transit store was closed
    await ctx.session.flush()
    return Applied()
