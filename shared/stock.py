"""Parts stores and the words of the parts ledger (账、卡、物一致: books, cards and goods agree)."""

from __future__ import annotations

from enum import StrEnum


class StoreKind(StrEnum):
    NEW = "new"  # 新件库: new original parts, received from the manufacturer
    RETURNED = "returned"  # 旧件库: old parts taken out of customers' equipment
    VAN = "van"  # an engineer's van stock


class MovementKind(StrEnum):
    """A line of the ledger; ``quantity`` is positive into the store and negative out of it."""

    RECEIVE = "receive"  # into the new-parts store from a supplier
    TRANSFER_OUT = "transfer_out"  # one side of a transfer between stores
    TRANSFER_IN = "transfer_in"  # the other side, same batch
    CONSUME = "consume"  # used on a job, out of the engineer's van
    UNCONSUME = "unconsume"  # a usage voided on the job: the units are back in the van
    RETURN_OLD = "return_old"  # the replaced old part, into the returned-parts store
    ADJUST = "adjust"  # a stock count's difference, with its reason


#: Stores a transfer may go between (the returned store only takes old parts and counts).
TRANSFERABLE: frozenset[StoreKind] = frozenset({StoreKind.NEW, StoreKind.VAN})
