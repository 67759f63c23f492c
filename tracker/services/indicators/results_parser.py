"""Reading the assessment-results spreadsheet (考核结果表) as offices really send it.

The table may sit anywhere in the first rows under title and source notes, its
columns in any order and under several names, its cells typed by hand
(full-width digits, `第3名`, `85%`, stray ideographic spaces). Whole-file
problems raise ParseError; problems in single rows are collected as RowError so
a preview can show every one at once. Nothing here touches the database.
"""
from dataclasses import dataclass, field

from flask_babel import gettext as _

from ..documents.cells import READERS, CellError, clean_text, fmt_number, has_value, is_present, name_key, read_text
from ..documents.sheets import (
    DEFAULT_MAX_BYTES,
    ParseError,
    RowError,
    find_table,
    is_header_again,
    read_sheets,
    table_body,
)

COLUMNS = {
    "category": ("指标类别", "类别"),
    "name": ("指标名称", "指标", "考核指标"),
    "weight": ("分值", "权重"),
    "score": ("得分", "考核得分"),
    "rank": ("全市排名", "排名", "位次", "名次"),
    "peer_count": ("参评县区数", "参评单位数", "参评数"),
    "measure_unit": ("计量单位", "单位"),
    "target_value": ("目标值", "目标"),
    "actual_value": ("完成值", "实际值", "完成"),
    "expected_progress": ("序时进度", "时序进度"),
    "lead_unit_name": ("牵头单位", "责任单位", "承办单位"),
    "co_unit_names": ("配合单位", "协办单位"),
    "leader_title": ("分管县领导", "责任领导", "分管领导"),
    "formula": ("计算公式", "评分办法"),
    "is_veto": ("一票否决", "是否一票否决"),
    "direction": ("指标方向", "方向", "正逆向", "指标属性"),
    "kind": ("指标类型", "指标性质", "考核方式"),
    "bonus_cap": ("加分上限", "最高加分"),
}
REQUIRED = ("name", "weight", "score", "rank", "peer_count", "lead_unit_name")
ALIASES = {alias: name for name, aliases in COLUMNS.items() for alias in aliases}


@dataclass
class ParsedRow:
    """One indicator's result as read from the sheet."""

    row_number: int
    category: str | None
    name: str
    weight: float
    score: float
    rank: int
    peer_count: int
    measure_unit: str | None
    target_value: float | None
    actual_value: float | None
    expected_progress: float | None  # a fraction: 0.5 = 50%
    lead_unit_name: str
    co_unit_names: list
    leader_title: str | None
    formula: str | None
    is_veto: bool
    direction: str | None = None  # "higher" / "lower"; None when the sheet does not say
    kind: str | None = None  # "cumulative" / "rate"; None when the sheet does not say
    bonus_cap: float | None = None


@dataclass
class ParseResult:
    """Rows that parsed cleanly, errors for those that did not, and where the table was found."""

    rows: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    sheet_name: str | None = None
    header_row: int | None = None
    columns: dict = field(default_factory=dict)  # field -> header text as written

    @property
    def ok(self):
        """True when every row parsed."""
        return not self.errors


def parse_results(data, filename, max_bytes=DEFAULT_MAX_BYTES):
    """Parse results-file bytes (.xlsx or .csv, told apart by `filename`) into a ParseResult."""
    return _parse_sheets(read_sheets(data, filename, max_bytes))


def _parse_sheets(sheets):
    """Find the first sheet with a header row and parse the table under it."""
    sheet, header_index = find_table(sheets, ALIASES, "name", [COLUMNS[name][0] for name in REQUIRED])
    return _parse_table(sheet, header_index)


def _parse_table(sheet, header_index):
    """Parse the rows under the header into a ParseResult."""
    columns, body = table_body(sheet, header_index, ALIASES, COLUMNS, REQUIRED)
    result = ParseResult(sheet_name=sheet.name, header_row=header_index + 1,
                         columns={name: text for name, (_i, text) in columns.items()})
    headers = {name: text for name, (_i, text) in columns.items()}
    seen, category = {}, None
    for number, cells in body:
        if not has_value(cells):
            continue
        values = dict(zip(columns, cells, strict=False))
        if is_header_again(values["name"], ALIASES, "name"):
            continue  # the header again, as in a table pasted from a printout
        if "category" in values:
            # 类别 is often written once per group (a merged cell lost on export): it holds until the next one.
            category = values["category"] if is_present(values["category"]) else category
            values["category"] = category
        parsed, errors = _parse_row(number, values, headers)
        key = name_key(values.get("name"))
        if key and key in seen:
            errors.append(RowError(number, headers["name"], _(
                "Indicator “%(name)s” already appears on row %(row)d.", name=clean_text(values["name"]),
                row=seen[key]), "duplicate_name"))
        elif key:
            seen[key] = number
        if errors:
            result.errors.extend(errors)
        else:
            result.rows.append(parsed)
    if not result.rows and not result.errors:
        raise ParseError(_("The table under the header row has no data rows."), "no_rows")
    return result


def score_error(number, column, score, weight, bonus_cap):
    """The RowError of a score above its weight plus its bonus cap (None: no cap), or None when it is within."""
    bonus = bonus_cap or 0
    if score <= weight + bonus + 1e-9:
        return None
    if bonus:
        message = _("Score %(score)s is above the weight %(weight)s plus the bonus cap %(cap)s.",
                    score=fmt_number(score), weight=fmt_number(weight), cap=fmt_number(bonus))
    else:
        message = _("Score %(score)s is above the weight %(weight)s.", score=fmt_number(score),
                    weight=fmt_number(weight))
    return RowError(number, column, message, "score_above_weight")


def _parse_row(number, values, headers):
    """Read one data row; returns (ParsedRow or None, list of RowError)."""
    errors, out = [], {}
    for name in COLUMNS:
        out[name] = None
        try:
            value = READERS.get(name, read_text)(values.get(name))
        except CellError as bad:
            errors.append(RowError(number, headers[name], str(bad), bad.code))
            continue
        if name in REQUIRED and value is None:
            errors.append(RowError(number, headers[name], _("A value is required."), "required"))
            continue
        out[name] = value
    if out["weight"] is not None and out["weight"] <= 0:
        errors.append(RowError(number, headers["weight"], _("The weight must be greater than 0."), "not_positive"))
    if out["rank"] is not None and out["peer_count"] is not None and out["rank"] > out["peer_count"]:
        errors.append(RowError(number, headers["rank"], _(
            "Rank %(rank)d is larger than the number of peers (%(peers)d).",
            rank=out["rank"], peers=out["peer_count"]), "rank_above_peers"))
    # A bonus (加分) may take the score above the weight, by at most the bonus cap: the row's when the sheet
    # has the column, else the indicator's as the database keeps it (results_plan checks that one).
    if "bonus_cap" in headers and out["score"] is not None and out["weight"] is not None:
        error = score_error(number, headers["score"], out["score"], out["weight"], out["bonus_cap"])
        errors += [error] if error else []
    if errors:
        return None, errors
    return ParsedRow(row_number=number, **out), []
