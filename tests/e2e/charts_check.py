"""The geometric check of server-drawn charts in a real browser: every label of every chart on the page is legible,
inside its chart and clear of every other label. The dashboard's test and the insights page's test call it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Page

SMALLEST_PX = 8.5  # the smallest label height on screen that still reads on a phone
# The boxes of every chart's labels, as the browser lays them out.
_BOXES = """(selector) => [...document.querySelectorAll(selector)].map(svg => {
    const frame = svg.getBoundingClientRect();
    const scale = svg.getScreenCTM().a;
    const labels = [...svg.querySelectorAll('text')].filter(t => t.textContent.trim()).map(t => {
        const box = t.getBoundingClientRect();
        return {text: t.textContent, left: box.left, top: box.top, right: box.right, bottom: box.bottom,
                px: parseFloat(getComputedStyle(t).fontSize) * scale};
    });
    return {name: svg.getAttribute('aria-label'), left: frame.left, top: frame.top, right: frame.right,
            bottom: frame.bottom, labels};
})"""
SLACK = 0.5  # px: rounding of the browser's boxes


def _overlap(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return (
        a["left"] < b["right"] - SLACK
        and b["left"] < a["right"] - SLACK
        and a["top"] < b["bottom"] - SLACK
        and b["top"] < a["bottom"] - SLACK
    )


def assert_chart_readable(page: Page, selector: str) -> int:
    """Assert that every chart matching `selector` on the page has labels of at least `SMALLEST_PX` px, each inside
    the chart's box and none overlapping another; return how many labels were checked (fails when no chart)."""
    charts: list[dict[str, Any]] = page.evaluate(_BOXES, selector)
    assert charts, f"no chart matches {selector!r}"
    checked = 0
    for chart in charts:
        name, labels = chart["name"], chart["labels"]
        for label in labels:
            inside = (
                label["left"] >= chart["left"] - SLACK
                and label["right"] <= chart["right"] + SLACK
                and label["top"] >= chart["top"] - SLACK
                and label["bottom"] <= chart["bottom"] + SLACK
            )
            assert inside, f"{name}: label {label['text']!r} leaves the chart: {label} not in {chart}"
            assert label["px"] >= SMALLEST_PX, f"{name}: label {label['text']!r} is {label['px']:.1f} px high"
        for index, first in enumerate(labels):
            for second in labels[index + 1 :]:
                assert not _overlap(first, second), f"{name}: {first['text']!r} overlaps {second['text']!r}"
        checked += len(labels)
    return checked
