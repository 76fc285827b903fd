"""One handler per mutation, each in its own module, picked by the mutation's name.

``HANDLERS`` pairs every ``sync.protocol.MutationName`` with its handler as ``ARGS_MODELS`` pairs it
with its argument model; ``sync.merge.LOCAL_APPLY`` pairs it with the device's view of it. A handler
is ``apply(ctx, mutation, args) -> Applied``: it checks everything before it changes anything and
raises ``Rejected`` to refuse (see ``server/replication/context.py`` for the steps they share).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from server.replication.context import Applied, PushContext
from server.replication.handlers import (
    checklist_answer,
    job_edit,
    job_event,
    job_sign,
    loan_lend,
    loan_return,
    part_use,
    part_void,
    photo_add,
    quote_make,
    shipment_receive,
)
from sync.protocol import Mutation, MutationName

Handler = Callable[[PushContext, Mutation, Any], Awaitable[Applied]]

HANDLERS: dict[MutationName, Handler] = {
    MutationName.JOB_EVENT: job_event.apply,
    MutationName.JOB_EDIT: job_edit.apply,
    MutationName.CHECKLIST_ANSWER: checklist_answer.apply,
    MutationName.PART_USE: part_use.apply,
    MutationName.PART_VOID: part_void.apply,
    MutationName.JOB_SIGN: job_sign.apply,
    MutationName.PHOTO_ADD: photo_add.apply,
    MutationName.LOAN_LEND: loan_lend.apply,
    MutationName.LOAN_RETURN: loan_return.apply,
    MutationName.QUOTE_MAKE: quote_make.apply,
    MutationName.SHIPMENT_RECEIVE: shipment_receive.apply,
}
