"""The figures an issued bulletin printed, kept as JSON with it so every later rendering prints the same numbers.

The figures are plain dataclasses (figures.py, weak_section.py); each is written with
its class name, dates and moments in ISO form, tuples marked, and read back into the
same classes. Only the classes listed here are ever built from stored text.
"""
import dataclasses
import json
from datetime import date, datetime

from ...extensions import db
from ...models import Bulletin
from ..transaction import saving
from . import figures, weak_section

CLASSES = {cls.__name__: cls for cls in (
    figures.MonthWindow, figures.Figures, figures.UnitRow, figures.OverdueRow, figures.Change, figures.BulletinData,
    weak_section.WeakTaskRow, weak_section.RecheckRow, weak_section.WeakIndicatorRow, weak_section.WeakSection,
)}
VERSION = 1


def _plain(value):
    """A JSON-ready form of a figures value."""
    if dataclasses.is_dataclass(value):
        return {"__class": type(value).__name__,
                **{item.name: _plain(getattr(value, item.name)) for item in dataclasses.fields(value)}}
    if isinstance(value, datetime):
        return {"__datetime": value.isoformat()}
    if isinstance(value, date):
        return {"__date": value.isoformat()}
    if isinstance(value, tuple):
        return {"__tuple": [_plain(item) for item in value]}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _built(value):
    """The figures value a JSON form stands for."""
    if isinstance(value, list):
        return [_built(item) for item in value]
    if not isinstance(value, dict):
        return value
    if "__datetime" in value:
        return datetime.fromisoformat(value["__datetime"])
    if "__date" in value:
        return date.fromisoformat(value["__date"])
    if "__tuple" in value:
        return tuple(_built(item) for item in value["__tuple"])
    cls = CLASSES[value["__class"]]
    names = {item.name for item in dataclasses.fields(cls)}
    return cls(**{key: _built(item) for key, item in value.items() if key in names})


def dumps(data):
    """The bulletin's figures (BulletinData) as JSON text."""
    return json.dumps({"version": VERSION, "data": _plain(data)}, ensure_ascii=False, separators=(",", ":"))


def loads(text):
    """BulletinData from the JSON text dumps() wrote."""
    return _built(json.loads(text)["data"])


def freeze_missing():
    """Freeze the figures of every issued or voided bulletin that has none, rebuilt from history; those done."""
    done = []
    rows = db.session.scalars(db.select(Bulletin).where(Bulletin.status != "draft", Bulletin.figures_json.is_(None))
                              .order_by(Bulletin.month, Bulletin.id)).all()
    for bulletin in rows:
        with saving():
            # The month has ended, so its figures are gathered as of its end, as the issue printed them.
            bulletin.figures_json = dumps(figures.gather(bulletin.month))
            if bulletin.as_of is None:
                bulletin.as_of = figures.month_window(bulletin.month).as_of
        done.append(bulletin)
    return done
