"""Real headless Chromium (Debian's) against a real server on the built demo county: the
dashboard's schematic township map, the county outline, the series and flows charts, and the
origin map of China actually draw — canvases with pixels on them and the township and province
names in the charts — from local assets only (any request leaving the server is refused and
fails the test)."""
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from anju.demo.build import PASSWORD
from anju.web.app import create_app
from tests.support.live import live_server

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).parent.parent / "web" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]

# How much of a chart's canvas is painted, and in how many colours (a blank canvas: 0 and 0-1).
PAINTED = """(id) => {
  const canvas = document.querySelector('#' + id + ' canvas');
  if (!canvas) return null;
  const g = canvas.getContext('2d');
  const {data} = g.getImageData(0, 0, canvas.width, canvas.height);
  let painted = 0; const colours = new Set();
  for (let i = 0; i < data.length; i += 16) {
    if (data[i + 3] > 0) { painted++; colours.add(data[i] + ',' + data[i + 1] + ',' + data[i + 2]); }
  }
  return {share: painted / (data.length / 16), colours: colours.size};
}"""
NAMES = """(id) => {
  const chart = echarts.getInstanceByDom(document.getElementById(id));
  if (!chart) return [];
  const option = chart.getOption();
  return option.series.flatMap(s => (s.data || []).map(d => d && d.name)).filter(Boolean);
}"""


@pytest.fixture(scope="module")
def site(county):
    db, _, _ = county
    with live_server(create_app(db=db)) as base, sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield base, chromium
        chromium.close()


def _signed_in(site, username: str) -> tuple[Page, list[str]]:
    base, chromium = site
    context = chromium.new_context(base_url=base, locale="zh-CN")
    context.set_default_timeout(15_000)
    outside: list[str] = []

    def offline(route):  # everything must come from the server itself
        if route.request.url.startswith(base):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", offline)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/stats")
    return page, errors + outside


def _drawn(page: Page, element: str, names: int = 0) -> list[str]:
    page.wait_for_function(f"() => !!document.querySelector('#{element} canvas')")
    if names:
        page.wait_for_function(f"() => ({NAMES})('{element}').length >= {names}")
    painted = page.evaluate(PAINTED, element)
    assert painted["share"] > 0.01 and painted["colours"] > 3, (element, painted)
    return page.evaluate(NAMES, element)


def test_the_dashboard_and_the_county_map_draw(site):
    page, problems = _signed_in(site, "leader")
    tiles = _drawn(page, "stats-tiles", names=10)
    assert "雉城街道" in tiles and "洪桥镇" in tiles  # the county's townships on the map
    # the outline loads its local GeoJSON before it draws
    page.wait_for_function("() => (echarts.getInstanceByDom(document.getElementById("
                           "'stats-outline')).getOption().series || []).length > 0")
    _drawn(page, "stats-outline")
    _drawn(page, "stats-series")
    _drawn(page, "stats-flows")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "monitoring-dashboard.png"), full_page=True)
    # drill down: a click on a township's tile opens its villages
    page.locator("#children-table a", has_text="雉城街道").click()
    page.wait_for_url("**/stats?division=*")
    villages = _drawn(page, "stats-tiles", names=3)
    assert "雉城街道" not in villages and len(villages) >= 3
    assert problems == []


def test_the_origin_map_of_china_draws(site):
    page, problems = _signed_in(site, "analyst")
    page.goto("/stats/origins")
    names = _drawn(page, "stats-china", names=5)
    assert {"安徽", "河南"} & set(names)  # provinces people come from, by name (map file's names)
    assert "长兴县" in names  # the county the lines lead to
    _drawn(page, "stats-china-cities", names=5)
    page.screenshot(path=str(SHOTS / "monitoring-origins.png"), full_page=True)
    assert problems == []
