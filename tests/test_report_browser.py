"""The report in a real headless Chromium: the charts are laid out and drawn in their colours."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from png_support import Image, read_png
from report_support import sample_report

from skill.report import render_report
from skill.report.charts import BAR, FATIGUE, FITNESS, FORM, OVER

BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    BROWSER is None, reason="chromium is not installed (make system-deps installs it)"
)
WINDOW = (800, 1300)
# Collects each chart's layout into the DOM for --dump-dom; added to a copy of the page only:
# the report itself has no script and needs none.
PROBE = """<script>
const box = (e) => { const r = e.getBoundingClientRect();
  return {x: r.left, y: r.top, w: r.width, h: r.height, cls: e.getAttribute("class")}; };
const layout = {dpr: window.devicePixelRatio, charts: {}};
for (const svg of document.querySelectorAll("svg.chart")) {
  layout.charts[svg.id] = {svg: box(svg), plot: box(svg.querySelector(".plot")),
    bars: [...svg.querySelectorAll("rect.bar")].map(box),
    lines: [...svg.querySelectorAll(".line")].map(box),
    zero: svg.querySelector(".zero") && box(svg.querySelector(".zero"))};
}
const out = document.createElement("pre"); out.id = "layout";
out.textContent = JSON.stringify(layout); document.body.appendChild(out);
</script>"""


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    assert BROWSER is not None
    command = [
        BROWSER,
        "--headless",
        "--no-sandbox",  # the tests may run as root
        "--disable-gpu",
        "--hide-scrollbars",
        "--no-first-run",
        "--force-device-scale-factor=1",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        f"--user-data-dir={profile}",
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Image]:
    folder = tmp_path_factory.mktemp("report")
    page = render_report(sample_report())
    report = folder / "report.html"
    report.write_text(page, encoding="utf-8")
    probe = folder / "probe.html"
    probe.write_text(page.replace("</body>", f"{PROBE}</body>"), encoding="utf-8")
    dom = chromium("--dump-dom", probe.as_uri(), profile=folder / "profile").stdout
    found = re.search(r'<pre id="layout">(.*?)</pre>', dom, re.S)
    assert found, "the probe wrote no layout"
    layout = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    shot = folder / "report.png"
    chromium(f"--screenshot={shot}", report.as_uri(), profile=folder / "profile")
    return layout, read_png(shot.read_bytes())


def inside(box: dict[str, float], area: dict[str, float], slack: float = 1.5) -> bool:
    return (
        box["x"] >= area["x"] - slack
        and box["y"] >= area["y"] - slack
        and box["x"] + box["w"] <= area["x"] + area["w"] + slack
        and box["y"] + box["h"] <= area["y"] + area["h"] + slack
    )


def hex_rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def count(image: Image, area: dict[str, float], colour: str, tolerance: int = 12) -> int:
    want = hex_rgb(colour)
    found = 0
    for y in range(int(area["y"]), int(area["y"] + area["h"])):
        for x in range(int(area["x"]), int(area["x"] + area["w"])):
            if all(abs(a - b) <= tolerance for a, b in zip(image.rgb(x, y), want, strict=True)):
                found += 1
    return found


def test_the_page_lays_out_in_the_window(rendered: tuple[dict[str, Any], Image]) -> None:
    layout, image = rendered
    assert layout["dpr"] == 1
    assert (image.width, image.height) == WINDOW
    for name in ("mileage-chart", "load-chart"):
        svg = layout["charts"][name]["svg"]
        assert svg["w"] > 600 and svg["h"] > 200, f"{name} is drawn at a readable size"
        assert svg["y"] + svg["h"] <= WINDOW[1], f"{name} is in the screenshot"


def test_the_bars_are_drawn_to_scale_inside_the_chart(
    rendered: tuple[dict[str, Any], Image],
) -> None:
    layout, image = rendered
    data = sample_report()
    chart = layout["charts"]["mileage-chart"]
    bars = chart["bars"]
    assert len(bars) == len(data.weeks) == 12
    for bar, week in zip(bars, data.weeks, strict=True):
        assert bar["w"] > 10 and bar["h"] > 10 and inside(bar, chart["plot"])
        # Rendered heights keep the weeks' proportions (the first week as the unit).
        assert bar["h"] / bars[0]["h"] == pytest.approx(week.km / data.weeks[0].km, rel=0.03)
        assert bar["cls"] == ("bar over" if week.over_cap else "bar")
        middle = (int(bar["x"] + bar["w"] / 2), int(bar["y"] + bar["h"] / 2))
        colour = OVER if week.over_cap else BAR
        assert image.rgb(*middle) == hex_rgb(colour), f"the week of {week.start} is {colour}"
    assert sum(week.over_cap for week in data.weeks) == 2


def test_the_load_lines_are_drawn_across_the_chart_in_their_colours(
    rendered: tuple[dict[str, Any], Image],
) -> None:
    layout, image = rendered
    chart = layout["charts"]["load-chart"]
    plot = chart["plot"]
    lines = {line["cls"]: line for line in chart["lines"]}
    assert set(lines) == {"line fitness", "line fatigue", "line form"}
    for line in lines.values():
        assert line["w"] >= plot["w"] * 0.95 and line["h"] > 5 and inside(line, plot, slack=3)
    # The legend sits above the plot: these pixels are the lines themselves.
    for colour in (FITNESS, FATIGUE, FORM):
        assert count(image, plot, colour) > 300, f"{colour} is drawn in the plot"
    # In this history form stays below the zero line, fitness and fatigue above it.
    zero = chart["zero"]["y"]
    assert lines["line form"]["y"] > zero
    assert lines["line fitness"]["y"] + lines["line fitness"]["h"] < zero
    assert lines["line fatigue"]["y"] + lines["line fatigue"]["h"] < zero
