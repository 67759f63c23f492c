"""How official documents (公文) write things: dates in full."""


def cn_date(day):
    """A date written in full, as official documents do: 2026年11月30日 ('' for None)."""
    return f"{day.year}年{day.month}月{day.day}日" if day else ""
