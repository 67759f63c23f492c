"""Write tests/data/assessment-2026Q1-3.xlsx: the demo county's 前三季度 (January–September) results sheet.

Run `python tests/data/make_assessment_2026q1_3.py [OUT.xlsx]` to regenerate it (or write it elsewhere). The
indicators, categories, weights, units, lead and co-organizing units, leaders,
formulas and veto flags are the half-year sample's (read from it, so the two
sheets always name the same indicators); the scores, ranks and actual values
are this period's, with 序时进度 75% and the year's targets (目标值 is the
annual target, as in the half-year sheet). Rows made to test the rules:

- 地区生产总值增速: full score and first place (8/8, 第1名) but 完成值 6.9 below 目标值 7.2;
- 全面深化改革: a bonus score above its weight (4.6 of 4, 加分上限 1), first place;
- 安全生产: a 一票否决 indicator ranked 3rd whose 39 起 is beyond the pro-rata ceiling 32 × 75% = 24
  (信访维稳, also 一票否决, is beyond its own as well: 84 件 against 77 × 75%);
- 民间投资增速: last in the half-year (第12名), now first with full marks (4/4);
- 服务业增加值增速: last in the half-year, 11th of 12 now (weak in both);
  规上工业增加值增速 (11th, now last) and 教育惠民工程项目完成率 (11th, 11th) are weak in both too.
"""
import os
import sys
from datetime import datetime

import openpyxl

HERE = os.path.dirname(os.path.abspath(__file__))
HALF_YEAR = os.path.join(HERE, os.pardir, os.pardir, "tracker", "seeding", "demo_data", "assessment-2026H1.xlsx")
OUT = os.path.join(HERE, "assessment-2026Q1-3.xlsx")
TITLE = "云溪县2026年前三季度目标责任考核指标完成情况"
SOURCE = "数据来源：市委目标责任考核办公室\u3000\u3000统计截至：2026年9月30日"
NOTE = "注：排名为全市12个县（市、区）中的位次；序时进度按75%计；目标值为全年目标。"
PROGRESS = "75%"

# name: (score, rank, target, actual); the 36 indicators of the half-year sheet.
VALUES = {
    "地区生产总值增速": (8, 1, 7.2, 6.9),
    "规上工业增加值增速": (2.7, 12, 11, 7.1),
    "固定资产投资增速": (5.4, 3, 11.3, 11.6),
    "一般公共预算收入增速": (3.6, 6, 10.5, 10.1),
    "民间投资增速": (4, 1, 10.4, 12.6),
    "社会消费品零售总额增速": (2.2, 9, 9.1, 7.4),
    "实际利用外资占投资比重": (1.9, 8, 5.6, 5.0),
    "技术改造投资占固定资产投资比重": (2.9, 2, 8.1, 9.0),
    "工业技改投资占比": (1.6, 10, 8.4, 7.1),
    "省“三库”项目转化率": (2.2, 6, 6.8, 8.3),
    "外贸进出口总额增速": (1.7, 9, 7.5, 6.6),
    "服务业增加值增速": (1.4, 11, 8.6, 6.1),
    "农业增加值增速": (2.3, 5, 5.6, 5.5),
    "招商引资到位资金": (3.5, 4, 137, 118.5),
    "企业上市培育": (1.1, 10, 200, 214),
    "城镇居民人均可支配收入增速": (2.5, 4, 5.2, 5.4),
    "农村居民人均可支配收入增速": (2.2, 7, 8.2, 6.0),
    "城镇新增就业人数": (1.2, 9, 169, 131.0),
    "教育惠民工程项目完成率": (1.0, 11, 5.8, 5.4),
    "农村安全饮水解困项目完成率": (1.3, 8, 11.1, 12.9),
    "保障性住房建设开工率": (1.5, 6, 11.4, 9.7),
    "气象灾害防御达标率": (0.7, 7, 8.9, 10.8),
    "公众满意度": (3.9, 8, 152, 166.0),
    "信访维稳": (1.8, 9, 77, 84),
    "安全生产": (2.7, 3, 32, 39),
    "信息安全管理": (0.7, 7, 191, 158.3),
    "污染防治攻坚战": (3.6, 10, 129, 118.0),
    "空气质量优良天数比例": (2.0, 7, 11.2, 12.6),
    "森林覆盖率": (1.9, 2, 9.4, 8.9),
    "减煤抑尘减排增绿禁烧五项治理": (1.4, 6, 159, 131.5),
    "全面深化改革": (4.6, 1, 191, 236),
    "党风廉政建设": (2.8, 7, 185, 178.2),
    "基层党组织建设": (2.1, 6, 122, 118.4),
    "意识形态工作": (1.6, 4, 88, 79.5),
    "营商环境评价": (2.9, 2, 187, 214.0),
    "简政放权改革": (1.5, 5, 153, 171.2),
}
BONUS_CAPS = {"全面深化改革": 1}


def half_year_rows():
    """(header, rows) of the half-year sample's table."""
    sheet = openpyxl.load_workbook(HALF_YEAR, read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    header_at = next(i for i, row in enumerate(rows) if row and row[0] == "序号")
    body = [row for row in rows[header_at + 1:] if row and isinstance(row[0], int)]
    return list(rows[header_at]), body


def build():
    """The workbook of the 前三季度 sheet."""
    header, body = half_year_rows()
    column = {name: i for i, name in enumerate(header)}
    book = openpyxl.Workbook()
    book.properties.created = book.properties.modified = datetime(2026, 10, 12, 9, 0)
    sheet = book.active
    sheet.title = "考核结果"
    sheet.append([TITLE])
    sheet.append([SOURCE])
    sheet.append(header + ["加分上限"])
    for row in body:
        values = list(row)
        name = values[column["指标名称"]]
        score, rank, target, actual = VALUES[name]
        for key, value in (("得分", score), ("全市排名", rank), ("目标值", target), ("完成值", actual),
                           ("序时进度", PROGRESS)):
            values[column[key]] = value
        sheet.append(values + [BONUS_CAPS.get(name)])
    if len(body) != len(VALUES):
        raise SystemExit(f"the half-year sheet has {len(body)} indicators, this script knows {len(VALUES)}")
    sheet.append([])
    sheet.append([NOTE])
    return book


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else OUT  # e.g. the demo's data folder
    build().save(out)
    print(f"wrote {out}")
