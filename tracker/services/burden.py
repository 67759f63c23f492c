"""Supervision burden per unit (基层减负): counts of urges and report requests, read from the models only.

Empty until the scoring issue fills it; it sits at the base of the domain layer so tasks/ and
submissions/ may call it.
"""
