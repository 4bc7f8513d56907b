import re
import xml.etree.ElementTree as ET

import pytest

from remit.lib.charts import Bar, bar_chart_svg, text_width

SVG = "{http://www.w3.org/2000/svg}"

AGING = [
    Bar("Current", 1_234_567),
    Bar("1–30", 845_000),
    Bar("31–60", 0),
    Bar("61–90", 120_050),
    Bar("90+", 9_912_345),
]


def parse(svg):
    return ET.fromstring(svg)


def texts(root):
    return ["".join(element.itertext()) for element in root.iter(f"{SVG}text")]


def test_it_is_one_accessible_svg_element_that_scales():
    svg = bar_chart_svg(bars=AGING, title="Receivables aging", x_label="Days past due")
    root = parse(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("width") == "100%"
    assert re.fullmatch(r"0 0 [\d.]+ [\d.]+", root.get("viewBox", ""))
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and title.text == "Receivables aging"
    assert desc is not None and "90+: $99,123.45" in (desc.text or "")
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"


def test_bars_have_value_labels_axis_labels_and_tooltips():
    root = parse(bar_chart_svg(bars=AGING, title="Aging", x_label="Days past due"))
    labels = texts(root)
    for expected in ["Current", "1–30", "90+", "$12,345.67", "$99,123.45", "Days past due", "$0"]:
        assert expected in labels
    assert "$0.00" not in labels  # a zero bar is the flat baseline, with no label to crowd the others
    tooltips = [title.text for title in root.iter(f"{SVG}title")][1:]
    assert tooltips[0] == "Current: $12,345.67"
    assert len(root.findall(f".//{SVG}g[@class='chart-bar']")) == len(AGING)


def test_taller_bars_for_larger_values():
    root = parse(bar_chart_svg(bars=[Bar("a", 100), Bar("b", 300)], title="Two"))
    heights = [float(rect.get("height", 0)) for rect in root.iter(f"{SVG}rect")]
    assert heights[1] == pytest.approx(heights[0] * 3, rel=0.01)


def test_labels_are_xml_escaped():
    nasty = 'Tom & Jerry <script>alert("x")</script>'
    svg = bar_chart_svg(bars=[Bar(nasty, 100, title=nasty)], title=f"A & B <{nasty}>", x_label="<&>")
    assert "<script>" not in svg
    root = parse(svg)  # would raise on a stray & or <
    assert nasty in texts(root)
    assert "<&>" in texts(root)
    assert root.find(f"{SVG}title").text == f"A & B <{nasty}>"


def test_no_inline_styles_anywhere():
    """The Content-Security-Policy forbids them: colours are presentation attributes or classes."""
    for svg in (
        bar_chart_svg(bars=AGING, title="Aging"),
        bar_chart_svg(bars=[Bar("x", 500, 200)], title="Stacked", secondary_name="AutoPay"),
        bar_chart_svg(bars=[], title="Nothing"),
    ):
        root = parse(svg)
        assert all("style" not in element.attrib for element in root.iter())
        assert root.find(f".//{SVG}style") is None
        assert "script" not in svg.lower() and " on" not in svg  # no JavaScript, no event handlers


def test_all_zero_data_is_a_flat_chart_with_a_note():
    bars = [Bar(f"Dec {day}", 0) for day in range(1, 22)]
    svg = bar_chart_svg(bars=bars, title="Forecast", secondary_name="AutoPay", empty_note="Nothing expected yet")
    root = parse(svg)
    assert "Nothing expected yet" in texts(root)
    assert root.find(f".//{SVG}rect") is None  # no bars, and no legend for them
    assert "Dec 21" in texts(root)  # the days are still there
    assert root.find(f"{SVG}desc").text == "Forecast: Nothing expected yet"


def test_no_bars_at_all():
    root = parse(bar_chart_svg(bars=[], title="Empty", empty_note="Nothing yet"))
    assert "Nothing yet" in texts(root)


def test_the_secondary_part_is_stacked_at_the_foot_with_a_legend():
    svg = bar_chart_svg(bars=[Bar("Dec 1", 1000, 250)], title="F", primary_name="One-time", secondary_name="AutoPay")
    root = parse(svg)
    value = root.find(f".//{SVG}g[@class='chart-bar']/{SVG}rect[@class='chart-value']")
    part = root.find(f".//{SVG}g[@class='chart-bar']/{SVG}rect[@class='chart-secondary']")
    assert float(value.get("height")) == pytest.approx(3 * float(part.get("height")), rel=0.01)
    assert float(value.get("y")) + float(value.get("height")) == pytest.approx(float(part.get("y")))
    assert {"One-time", "AutoPay"} <= set(texts(root))
    assert "Dec 1: $10.00, of which AutoPay $2.50" in root.find(f"{SVG}desc").text


def test_a_secondary_part_larger_than_the_bar_is_refused():
    with pytest.raises(ValueError, match="secondary"):
        bar_chart_svg(bars=[Bar("x", 100, 200)], title="Bad")
    with pytest.raises(ValueError, match="secondary"):
        bar_chart_svg(bars=[Bar("x", -1)], title="Bad")


def test_crowded_labels_turn_upright_so_they_never_overlap():
    few = parse(bar_chart_svg(bars=[Bar("Nov 27", 100)], title="One"))
    many = parse(bar_chart_svg(bars=[Bar(f"Dec {d}", 1_250_000) for d in range(1, 22)], title="Many"))
    assert not any(text.get("transform") for text in few.iter(f"{SVG}text"))
    upright = [text for text in many.iter(f"{SVG}text") if text.get("class") in {"chart-label", "chart-value-label"}]
    assert upright and all(text.get("transform", "").startswith("rotate(-90") for text in upright)


def test_two_charts_on_a_page_get_different_ids():
    first = parse(bar_chart_svg(bars=AGING, title="Receivables aging"))
    second = parse(bar_chart_svg(bars=AGING, title="Cash flow forecast"))
    assert first.find(f"{SVG}title").get("id") != second.find(f"{SVG}title").get("id")


def test_everything_stays_inside_the_view_box():
    root = parse(bar_chart_svg(bars=[Bar(f"Dec {d}", d * 999_999) for d in range(1, 22)], title="Big"))
    _, _, width, height = (float(n) for n in root.get("viewBox").split())
    for rect in root.iter(f"{SVG}rect"):
        x, y = float(rect.get("x")), float(rect.get("y"))
        assert 0 <= x <= x + float(rect.get("width")) <= width
        assert 0 <= y <= y + float(rect.get("height")) <= height
    for text in root.iter(f"{SVG}text"):
        x, y, size = float(text.get("x")), float(text.get("y")), float(text.get("font-size"))
        assert 0 <= x <= width and 0 <= y <= height
        if text.get("class") == "chart-value-label":  # upright, reading upwards from above its bar
            assert y - text_width(text.text, size) >= 0
        if text.get("class") == "chart-label":  # upright, ending under the axis
            assert y + text_width(text.text, size) <= height


def test_line_chart_is_accessible_and_labels_never_touch() -> None:
    from itertools import pairwise

    from remit.lib.charts import Line, line_chart_svg

    labels = [f"Day {n}" for n in range(90)]
    svg = line_chart_svg(
        labels=labels,
        lines=[Line("Unauthorized <R05>", [n * 1.5 for n in range(90)], "#b42318")],
        title="Rates",
        description="Rates rose.",
        guides=[(100, "threshold")],
        width=360,
        label_every=15,
        chart_id="rates",
    )
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-lines" role="img"')
    assert 'aria-labelledby="rates-title rates-desc"' in svg
    assert '<desc id="rates-desc">Rates rose.</desc>' in svg
    assert "Unauthorized &lt;R05&gt;" in svg and "<R05>" not in svg
    assert "style" not in svg  # the Content-Security-Policy forbids inline styles
    assert "135%" not in svg and "150%" in svg  # the axis ends on a round tick above the highest value
    assert ">Day 89</text>" in svg  # the last day is always labelled
    shown = [n for n in range(90) if f">Day {n}</text>" in svg]
    assert len(shown) >= 3 and all(b - a >= 15 for a, b in pairwise(shown))
