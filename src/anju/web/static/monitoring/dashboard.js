// The monitoring pages' charts (anju.monitoring.pages): the schematic tile map of townships or
// villages, the illustrative county outline, the monthly series with its forecast interval,
// monthly arrivals and departures, and the origin map of China with lines to the county.
// Data comes from data-* attributes (the pages' CSP allows no inline script); every asset is
// local (/static/vendor), nothing is fetched from outside.
(function () {
  "use strict";
  var E = function () { return window.echarts; };

  function json(el, name) {
    try { return JSON.parse(el.getAttribute(name) || "null"); } catch (e) { return null; }
  }

  function chart(el, height) {
    el.style.height = height + "px";
    var c = E().init(el, null, {renderer: "canvas"});
    window.addEventListener("resize", function () { c.resize(); });
    return c;
  }

  // Tiles: one square per division, in code order, shaded by its released count; a withheld
  // count is grey. Positions are schematic, never borders.
  function tiles(el) {
    var items = json(el, "data-tiles") || [];
    if (!items.length) return;
    var cols = Math.ceil(Math.sqrt(items.length * 1.6));
    var rows = Math.ceil(items.length / cols);
    var data = items.map(function (d, i) {
      return {value: [i % cols, Math.floor(i / cols), d.count === null ? -1 : d.count],
              name: d.name, code: d.code, count: d.count};
    });
    var max = Math.max.apply(null, items.map(function (d) { return d.count || 0; }).concat([1]));
    var c = chart(el, Math.max(260, rows * 70 + 60));
    var withheld = el.getAttribute("data-withheld") || "";
    c.setOption({
      animation: false,
      tooltip: {formatter: function (p) {
        return p.data.name + "：" + (p.data.count === null ? withheld : p.data.count);
      }},
      grid: {left: 4, right: 4, top: 4, bottom: 40},
      xAxis: {type: "category", data: Array.from({length: cols}, function (_, i) { return i; }),
              show: false},
      yAxis: {type: "category", data: Array.from({length: rows}, function (_, i) { return i; }),
              show: false, inverse: true},
      visualMap: {min: 0, max: max, calculable: false, orient: "horizontal", left: "center",
                  bottom: 0, itemHeight: 120,
                  inRange: {color: ["#fbe9e7", "#e57368", "#a4281e"]},
                  outOfRange: {color: "#d5d9de"}},
      series: [{type: "heatmap", data: data,
                label: {show: true, fontSize: 11, formatter: function (p) {
                  return p.data.name + "\n" + (p.data.count === null ? "—" : p.data.count);
                }},
                itemStyle: {borderColor: "#fff", borderWidth: 3}}]
    });
    var link = el.getAttribute("data-link");
    if (link) {
      c.on("click", function (p) {
        if (p.data && p.data.code) window.location.href = link + encodeURIComponent(p.data.code);
      });
    }
  }

  function outline(el) {
    var c = chart(el, 300);
    fetch(el.getAttribute("data-geo"), {credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (geo) {
        E().registerMap("anju-county", geo);
        c.setOption({animation: false, series: [{
          type: "map", map: "anju-county", roam: false, selectedMode: false,
          label: {show: true, formatter: el.getAttribute("data-name") || "{b}"},
          itemStyle: {areaColor: "#e8eef5", borderColor: "#4a6a8a"}, emphasis: {disabled: true},
          data: []}]});
      })
      .catch(function () { el.hidden = true; });
  }

  function series(el) {
    var s = json(el, "data-series") || {};
    var months = (s.months || []).slice();
    var actual = (s.values || []).slice();
    var f = s.forecast;
    var lower = months.map(function () { return null; });
    var band = months.map(function () { return null; });
    var mean = months.map(function () { return null; });
    if (f) {
      months = months.concat(f.months);
      actual = actual.concat(f.months.map(function () { return null; }));
      f.months.forEach(function (_, i) {
        lower.push(Math.round(f.lower[i]));
        band.push(Math.round(f.upper[i] - f.lower[i]));
        mean.push(Math.round(f.mean[i]));
      });
    }
    var c = chart(el, 320);
    c.setOption({
      animation: false, tooltip: {trigger: "axis"},
      legend: {data: [el.getAttribute("data-history"), el.getAttribute("data-forecast"),
                      el.getAttribute("data-interval")]},
      grid: {left: 60, right: 20, top: 40, bottom: 40},
      xAxis: {type: "category", data: months},
      yAxis: {type: "value", scale: true},
      series: [
        {name: "lower", type: "line", stack: "band", data: lower, symbol: "none",
         lineStyle: {opacity: 0}, tooltip: {show: false}},
        {name: el.getAttribute("data-interval"), type: "line", stack: "band", data: band,
         symbol: "none", lineStyle: {opacity: 0}, areaStyle: {color: "rgba(164,40,30,.15)"}},
        {name: el.getAttribute("data-history"), type: "line", data: actual,
         itemStyle: {color: "#1d232a"}},
        {name: el.getAttribute("data-forecast"), type: "line", data: mean,
         lineStyle: {type: "dashed"}, itemStyle: {color: "#a4281e"}}
      ]
    });
  }

  function flows(el) {
    var rows = json(el, "data-flows") || [];
    var c = chart(el, 300);
    c.setOption({
      animation: false, tooltip: {trigger: "axis"},
      legend: {data: [el.getAttribute("data-arrivals"), el.getAttribute("data-departures")]},
      grid: {left: 50, right: 20, top: 40, bottom: 40},
      xAxis: {type: "category", data: rows.map(function (r) { return r.month; })},
      yAxis: {type: "value"},
      series: [
        {name: el.getAttribute("data-arrivals"), type: "bar",
         data: rows.map(function (r) { return r.arr; }), itemStyle: {color: "#0b5cad"}},
        {name: el.getAttribute("data-departures"), type: "bar",
         data: rows.map(function (r) { return r.dep; }), itemStyle: {color: "#8a5a00"}}
      ]
    });
  }

  function centre(geo) {
    var xs = [], ys = [];
    (geo.features || []).forEach(function (f) {
      JSON.stringify(f.geometry.coordinates).replace(/\[(-?[\d.]+),(-?[\d.]+)\]/g,
        function (_, x, y) { xs.push(+x); ys.push(+y); return ""; });
    });
    var avg = function (a) { return a.reduce(function (s, v) { return s + v; }, 0) / a.length; };
    return [avg(xs), avg(ys)];
  }

  function china(el) {
    var origins = json(el, "data-origins") || [];
    var c = chart(el, 520);
    Promise.all([
      fetch(el.getAttribute("data-geo"), {credentials: "same-origin"}).then(function (r) { return r.json(); }),
      fetch(el.getAttribute("data-outline"), {credentials: "same-origin"}).then(function (r) { return r.json(); })
    ]).then(function (loaded) {
      var geo = loaded[0], home = centre(loaded[1]);
      var mapName = "anju-" + el.id;
      E().registerMap(mapName, geo);
      var byId = {};
      geo.features.forEach(function (f) { byId[String(f.id || f.properties.id)] = f.properties; });
      var data = [], lines = [];
      origins.forEach(function (o) {
        var p = byId[String(o.code).slice(0, 6)];
        if (!p) return;
        data.push({name: p.name, value: o.count === null ? null : o.count});
        if (o.count && p.cp) lines.push({coords: [p.cp, home], value: o.count});
      });
      var max = Math.max.apply(null, data.map(function (d) { return d.value || 0; }).concat([1]));
      c.setOption({
        animation: false, tooltip: {trigger: "item"},
        visualMap: {min: 0, max: max, left: 10, bottom: 10, calculable: false,
                    inRange: {color: ["#fbe9e7", "#e57368", "#a4281e"]},
                    text: [String(max), "0"], seriesIndex: 0},
        geo: {map: mapName, roam: false, itemStyle: {areaColor: "#f0f2f4"},
              emphasis: {disabled: true}},
        series: [
          {type: "map", geoIndex: 0, name: el.getAttribute("data-label"), data: data},
          {type: "lines", coordinateSystem: "geo", data: lines, zlevel: 2,
           lineStyle: {color: "#0b5cad", width: 1.2, opacity: 0.6, curveness: 0.25},
           effect: {show: false}},
          {type: "scatter", coordinateSystem: "geo", data: [{name: el.getAttribute("data-county"),
           value: home}], symbolSize: 9, itemStyle: {color: "#0b5cad"},
           label: {show: true, formatter: "{b}", position: "right"}}
        ]
      });
    }).catch(function () { el.hidden = true; });
  }

  function start() {
    if (typeof window.echarts === "undefined") return;
    var found = {"stats-tiles": tiles, "stats-outline": outline, "stats-series": series,
                 "stats-flows": flows, "stats-china": china, "stats-china-cities": china};
    Object.keys(found).forEach(function (id) {
      var el = document.getElementById(id);
      if (el) found[id](el);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
