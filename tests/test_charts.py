"""The server-side SVG bar chart shared by the bulletin and (later) the dashboard."""
import xml.etree.ElementTree as ET

from markupsafe import Markup

from tracker.services.documents.charts import bar_chart_svg, fit_label, percent

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup):
    """The chart as an XML tree (it must be well-formed to draw at all)."""
    return ET.fromstring(str(markup))


def test_one_bar_per_value_with_widths_in_proportion():
    """Does each unit with a value get one bar, half as long at 50% as at 100%, and none for no value?"""
    svg = parse(bar_chart_svg([("县水利局", 1.0), ("城关镇", 0.5), ("县商务局", None)], title="销号率"))
    bars = svg.findall(f"{SVG}rect")
    assert len(bars) == 2
    assert abs(float(bars[1].get("width")) * 2 - float(bars[0].get("width"))) < 0.01
    texts = [t.text for t in svg.iter(f"{SVG}text") if t.text]
    assert "100.0%" in texts and "50.0%" in texts and "—" in texts and "销号率" in texts


def test_labels_are_escaped_and_values_clamped():
    """Is markup in a label drawn as text, and a value above 1 drawn as 100%?"""
    markup = bar_chart_svg([("<script>alert(1)</script>", 1.7)])
    assert isinstance(markup, Markup) and "<script>" not in str(markup)
    svg = parse(markup)
    assert [t.text for t in svg.iter(f"{SVG}title")] == ["<script>alert(1)</script>"]
    assert "100.0%" in [t.text for t in svg.iter(f"{SVG}text")]


def test_average_line_marks_bars_below_it_red():
    """With an average, is there a dashed line and are the bars below it red?"""
    svg = parse(bar_chart_svg([("甲", 0.9), ("乙", 0.2)], average=0.5, average_label="平均"))
    colours = [bar.get("fill") for bar in svg.findall(f"{SVG}rect")]
    assert colours[0] != colours[1]
    assert svg.find(f"{SVG}line[@class='average']") is not None
    assert "平均 50.0%" in [t.text for t in svg.iter(f"{SVG}text")]


def test_font_family_names_the_given_cjk_font():
    """Does the chart name the font stack it is given, so Chinese labels render?"""
    svg = parse(bar_chart_svg([("县水利局", 0.3)], font_family='"AR PL UMing CN", serif'))
    assert svg.get("font-family") == '"AR PL UMing CN", serif'


def test_empty_chart_and_long_labels():
    """Does an empty list still give a valid chart, and is a very long label cut with an ellipsis?"""
    assert parse(bar_chart_svg([])).tag == f"{SVG}svg"
    label = fit_label("县" * 50, 100, 10)
    assert label.endswith("…") and len(label) < 15
    assert percent(None) == "—" and percent(0.8571) == "85.7%"
