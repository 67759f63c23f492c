"""Reading one cell of the assessment-results sheet as people type it.

Full-width digits and punctuation, `第3名`, `85%` / `0.85` / `85`, stray
(ideographic) spaces, 是/√ flags, co-units run together with 、，;. Each reader
returns the value, None for a blank cell, or raises CellError with a message
for the row's error list. Split from results_parser.py, which finds the table.
"""
import math
import re
import unicodedata
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _

from .. import DomainError

EMPTY_MARKS = {"-", "--", "—", "——", "/", "无"}
VETO_TRUE = {"是", "√", "✓", "✔", "☑", "y", "yes", "true", "1"}
VETO_FALSE = {"否", "×", "✗", "✘", "n", "no", "false", "0", "无", "-", "—", "/"}
# 指标方向 as sheets write it; 逆向指标 (accidents, petitions) are lower-is-better.
DIRECTION_WORDS = {
    "higher": ("正向", "正向指标", "越高越好", "越大越好", "越多越好", "高", "higher", "up", "+"),
    "lower": ("逆向", "逆向指标", "反向", "反向指标", "越低越好", "越小越好", "越少越好", "低", "lower", "down", "-"),
}
# 指标类型: cumulative amounts are measured against 序时进度, rates against the target.
KIND_WORDS = {
    "cumulative": ("累计", "累计值", "累计量", "总量", "总额", "绝对值", "序时", "cumulative"),
    "rate": ("比率", "比例", "比重", "率", "增速", "增幅", "相对值", "指数", "得分", "rate"),
}
DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:前|之前|止)?$")
EXCEL_EPOCH = date(1899, 12, 30)
MAX_FIGURE = 1e15  # a score, target or actual value beyond this is no figure an office reports
MAX_COUNT = 100_000  # ranks and numbers of peers: no ranking has more participants
CO_UNIT_SEPARATORS = re.compile(r"[、,，;；\s]+")
# A number, then perhaps a measure unit in Chinese (8分, 137亿元, 12个).
NUMBER = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+))([^\x00-\x7f]*)$")
# Full-width letters and digits to ASCII; full-width punctuation stays in text, as Chinese writes it.
FULLWIDTH_ALNUM = {cp: cp - 0xFEE0 for cp in [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B)]}


class CellError(DomainError):
    """A cell's value is not what its column needs; `code` says how."""

    def __init__(self, message, code):
        """Keep the message for the user and the code for programs."""
        super().__init__(message)
        self.code = code


def clean_text(value):
    """Cell text with stray spaces (incl. U+3000) removed around Chinese and collapsed elsewhere."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).translate(FULLWIDTH_ALNUM).replace("\u200b", "").replace("\ufeff", "")
    text = re.sub(r"\s+", " ", text).strip()
    return re.sub(r"(?<=[^\x00-\x7f]) | (?=[^\x00-\x7f])", "", text)


def is_present(value):
    """True when a cell holds something other than spaces."""
    return value is not None and (not isinstance(value, str) or bool(clean_text(value)))


def has_value(cells):
    """True when any cell of the row holds something."""
    return any(is_present(cell) for cell in cells)


def name_key(value):
    """What makes two indicator names the same: NFKC, no spaces; "" for a blank cell."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value))) if is_present(value) else ""


def fmt_number(number):
    """A number as short text (8 not 8.0)."""
    return f"{number:g}"


def read_text(value):
    """Optional text; None when blank."""
    return clean_text(value) or None


def _number_parts(value):
    """(number, had a percent sign) from a cell, None when blank; CellError when it is not a number."""
    if not is_present(value):
        return None
    if isinstance(value, (bool, datetime, date, time)):
        raise CellError(_("“%(value)s” is not a number.", value=value), "not_a_number")
    if isinstance(value, (int, float)):
        return _finite(float(value), value), False
    text = unicodedata.normalize("NFKC", str(value))
    text = re.sub(r"\s+", "", text).replace("−", "-").replace(",", "")
    if text in EMPTY_MARKS:
        return None
    percent = text.endswith("%")
    match = NUMBER.match(text[:-1] if percent else text)
    if not match or (percent and match.group(2)):
        raise CellError(_("“%(value)s” is not a number.", value=clean_text(value)), "not_a_number")
    return _finite(float(match.group(1)), value), percent


def _finite(number, value):
    """The number, or CellError when it is too large to be a figure (a 400-digit value is a typing slip)."""
    if not math.isfinite(number) or abs(number) > MAX_FIGURE:
        raise CellError(_("“%(value)s” is too large to be a figure.", value=clean_text(value)[:40]), "too_large")
    return number


def read_number(value):
    """A number, with a trailing measure unit or % tolerated (8分, 137亿元, 7.2%)."""
    parts = _number_parts(value)
    return None if parts is None else parts[0]


def read_count(value):
    """A whole number of at least 1: a rank as 3, 第3名, 第３位, or a count as 12, 12个; None when blank."""
    text = clean_text(value)
    if isinstance(value, str):
        value = re.sub(r"^第|[名位]$", "", re.sub(r"\s+", "", unicodedata.normalize("NFKC", value)))
    try:
        number = read_number(value)
    except CellError as error:
        if error.code == "too_large":
            raise
        raise CellError(_("“%(value)s” is not a number.", value=text), "not_a_number") from None
    if number is None:
        return None
    if number != int(number):
        raise CellError(_("“%(value)s” is not a whole number.", value=text), "not_whole")
    if number < 1:
        raise CellError(_("“%(value)s” must be at least 1.", value=text), "not_positive")
    if number > MAX_COUNT:
        raise CellError(_("“%(value)s” is too large for a rank or a count.", value=text[:40]), "too_large")
    return int(number)


def read_progress(value):
    """序时进度 as a fraction: 50%, 0.5 and 50 all give 0.5 (plain values above 1 are percents)."""
    parts = _number_parts(value)
    if parts is None:
        return None
    number, percent = parts
    fraction = number / 100 if percent or number > 1 else number
    if not 0 <= fraction <= 1:
        raise CellError(_("“%(value)s” is not a progress between 0 and 100%%.", value=clean_text(value)),
                        "out_of_range")
    return round(fraction, 6)


def read_veto(value):
    """一票否决: 是/√ true; 否/blank false."""
    if isinstance(value, bool):
        return value
    text = clean_text(value).lower()
    if not text or text in VETO_FALSE:
        return False
    if text in VETO_TRUE:
        return True
    raise CellError(_("“%(value)s” is not understood; write 是 or 否.", value=clean_text(value)), "bad_flag")


def read_co_units(value):
    """Co-unit names split on 、，,;； or spaces, blanks and repeats dropped."""
    if not is_present(value):
        return []
    names = [clean_text(part) for part in CO_UNIT_SEPARATORS.split(str(value))]
    return list(dict.fromkeys(name for name in names if name))


def _read_word(value, words, example):
    """The code whose words include the cell's text; None when blank, CellError when unknown."""
    text = clean_text(value).lower()
    if not text or text in EMPTY_MARKS:
        return None
    for code, options in words.items():
        if text in options:
            return code
    raise CellError(_("“%(value)s” is not understood; write %(example)s.", value=clean_text(value), example=example),
                    "bad_word")


def read_direction(value):
    """指标方向: 正向/越高越好 → higher, 逆向/越低越好 → lower; None when blank."""
    return _read_word(value, DIRECTION_WORDS, "正向 / 逆向")


def read_kind(value):
    """指标类型: 累计/总量 → cumulative, 比率/增速 → rate; None when blank."""
    return _read_word(value, KIND_WORDS, "累计 / 比率")


def read_date(value):
    """A date as typed: a date cell, 2026-09-30, 2026/9/30, 2026.9.30, 2026年9月30日(前), or an Excel day number."""
    if not is_present(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 20000 < value < 80000:
        return EXCEL_EPOCH + timedelta(days=int(value))
    text = unicodedata.normalize("NFKC", clean_text(value))
    match = DATE_TEXT.match(text) or re.match(r"^(\d{4})(\d{2})(\d{2})$", text)
    if match:
        try:
            return date(*(int(part) for part in match.groups()))
        except ValueError:
            pass
    raise CellError(_("“%(value)s” is not a date; write it as 2026-09-30.", value=clean_text(value)), "not_a_date")


# How each column of the sheet is read; columns not listed are optional text.
READERS = {
    "weight": read_number, "score": read_number, "target_value": read_number, "actual_value": read_number,
    "rank": read_count, "peer_count": read_count, "expected_progress": read_progress,
    "is_veto": read_veto, "co_unit_names": read_co_units, "direction": read_direction, "kind": read_kind,
    "bonus_cap": read_number,
}
