"""Parts stores for the warehouse: what each store and van holds, receiving parts, transferring them to
a van, counting a store (the differences shown before posting), the ledger of a store, van shortfalls
from the tablets, old parts still to hand in, and the daily or monthly parts report with its files.

One module per section; each calls the API through :class:`console.clients.stock.StockClient` over the
schemas of :mod:`shared.stock`, and leaves the rules to :mod:`console.logic.stock`.

Every control a test drives has a stable identifier: ``stock-tab-<section>``, ``store-<key>`` (``new``,
``returned`` or the engineer's username), ``xfer-from-<key>``, ``xfer-part-<code>``, ``xfer-to-<key>``,
``xfer-submit``, ``xfer-result``; text fields are found by their labels.
"""

from console.screens.stock.screen import StockScreen

__all__ = ["StockScreen"]
