"""Parts stores and the FIFO ledger (see ledger.py)."""
