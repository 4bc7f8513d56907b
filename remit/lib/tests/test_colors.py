import pytest

from remit.lib.colors import contrast_ratio, darken, text_color_on


@pytest.mark.parametrize(
    ("background", "ink"),
    [("#000000", "#ffffff"), ("#ffffff", "#111827"), ("#1d5c8d", "#ffffff"), ("#fde047", "#111827")],
)
def test_text_colour_is_the_more_readable_one(background, ink):
    assert text_color_on(background) == ink
    assert contrast_ratio(background, ink) >= 4.5


def test_darken():
    assert darken("#ffffff", 0.5) == "#808080"
