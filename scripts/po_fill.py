"""Fill the catalogs after `make translations-update`.

    python scripts/po_fill.py todo            # JSON of the zh_CN entries still to translate (new or fuzzy)
    python scripts/po_fill.py fill FILE.json  # {msgid: 中文} (plurals: {msgid: [中文]}) into zh_CN; en = msgid

English entries take their msgid (the source language is English); fuzzy marks are cleared
on the entries filled. Compile afterwards: .venv/bin/pybabel -q compile -d translations -f
"""
import json
import sys

from babel.messages.pofile import read_po, write_po

CATALOGS = {"zh_CN": "translations/zh_Hans_CN/LC_MESSAGES/messages.po", "en": "translations/en/LC_MESSAGES/messages.po"}


def load(path):
    """The catalog at path."""
    with open(path, "rb") as handle:
        return read_po(handle)


def save(catalog, path):
    """Write the catalog back as pybabel does."""
    with open(path, "wb") as handle:
        write_po(handle, catalog, width=76)


def key(message):
    """The msgid as text (the singular for plurals)."""
    return message.id[0] if isinstance(message.id, tuple) else message.id


def missing(message):
    """True for an entry without a translation, or a fuzzy one."""
    if not message.id:
        return False
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return message.fuzzy or not all(strings)


def todo():
    """Print what zh_CN lacks."""
    catalog = load(CATALOGS["zh_CN"])
    print(json.dumps({key(m): (m.string if m.fuzzy else "") for m in catalog if missing(m)},
                     ensure_ascii=False, indent=1))


def fill(mapping_path):
    """Fill zh_CN from the mapping and en from the msgids."""
    with open(mapping_path, encoding="utf-8") as handle:
        mapping = json.load(handle)
    zh = load(CATALOGS["zh_CN"])
    for message in zh:
        text = mapping.get(key(message)) if message.id else None
        if text is None:
            continue
        if isinstance(message.id, tuple):
            message.string = tuple(text if isinstance(text, list) else [text])
        else:
            message.string = text
        message.flags.discard("fuzzy")
    save(zh, CATALOGS["zh_CN"])
    en = load(CATALOGS["en"])
    for message in en:
        if message.id and missing(message):
            message.string = message.id if not isinstance(message.id, tuple) else message.id
            message.flags.discard("fuzzy")
    save(en, CATALOGS["en"])
    left = [key(m) for m in load(CATALOGS["zh_CN"]) if missing(m)]
    print(f"zh_CN still to translate: {len(left)}")
    for item in left:
        print("  ", item)


if __name__ == "__main__":
    if sys.argv[1:2] == ["todo"]:
        todo()
    elif sys.argv[1:2] == ["fill"] and len(sys.argv) == 3:
        fill(sys.argv[2])
    else:
        sys.exit(__doc__)
