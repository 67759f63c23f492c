"""Reaching people: the in-app inbox, the outbox, mail over SMTP and group robots."""
