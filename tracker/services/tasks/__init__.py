"""Rectification tasks: their lifecycle, progress and reviews, how they are read, and the ledger."""
