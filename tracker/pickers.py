"""The searchable multi-select of the forms that pick several units (Tom Select, static/vendor/).

A plain <select multiple> needs Ctrl-click, which a phone does not have. Each such field
takes `unit_picker()` as its render_kw: static/js/pickers.js turns it into a box that is
searched by typing and worked by touch and keyboard; without script it stays a list.
Pages with one load the library through templates/_macros/pickers.html.
"""
from flask_babel import lazy_gettext as _l


def unit_picker(size=6):
    """The render_kw of a select of several units: searchable, its words in the reader's language."""
    return {"size": size, "data-picker": "units", "data-placeholder": _l("Type to search units"),
            "data-no-results": _l("No unit matches"), "data-remove": _l("Remove")}
