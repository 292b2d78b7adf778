// The grid-worker task page's map: the county outline (illustrative, local GeoJSON, no tiles) and
// open tasks per township as a bar chart beside it. Served as a file (/tasks/map.js) because the
// pages' Content-Security-Policy allows no inline script; ECharts is served from /static/vendor.
(function () {
  "use strict";
  function start() {
    var outline = document.getElementById("task-map-outline");
    var chart = document.getElementById("task-map-chart");
    if (!outline || !chart || typeof window.echarts === "undefined") return;
    var counts = JSON.parse(chart.getAttribute("data-counts") || "[]");
    outline.style.height = "320px";
    chart.style.height = Math.max(220, 40 * counts.length + 80) + "px";
    fetch(outline.getAttribute("data-geo"), {credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (geo) {
        window.echarts.registerMap("county", geo);
        var map = window.echarts.init(outline, null, {renderer: "svg"});
        map.setOption({
          animation: false,
          series: [{type: "map", map: "county", roam: false, selectedMode: false,
                    label: {show: true, formatter: outline.getAttribute("data-name") || "{b}"},
                    itemStyle: {areaColor: "#e8eef5", borderColor: "#4a6a8a"},
                    emphasis: {disabled: true},
                    data: []}]
        });
        window.addEventListener("resize", function () { map.resize(); });
      })
      .catch(function () { outline.hidden = true; });
    var bars = window.echarts.init(chart, null, {renderer: "svg"});
    bars.setOption({
      animation: false,
      grid: {left: 120, right: 30, top: 20, bottom: 30},
      tooltip: {trigger: "axis"},
      xAxis: {type: "value", minInterval: 1},
      yAxis: {type: "category", inverse: true,
              data: counts.map(function (c) { return c.name; })},
      series: [{type: "bar", name: chart.getAttribute("data-label") || "",
                label: {show: true, position: "right"},
                data: counts.map(function (c) { return c.open; })}]
    });
    window.addEventListener("resize", function () { bars.resize(); });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
