"""The weekly alert (每周预警): who gets which red and yellow tasks, and its words on every channel."""
