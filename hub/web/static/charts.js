/* Draws the analytics charts with uPlot from the JSON data block of the page. */
(function () {
  "use strict";
  var PALETTE = ["#0b5cad", "#c2410c", "#15803d", "#7e22ce", "#a16207", "#be123c", "#0e7490", "#4d7c0f"];
  var DWELL = ["<10 s", "10-30 s", "30-60 s", "1-2 min", "2-5 min", "5-10 min", "10+ min"];

  function width(el) { return Math.max(260, Math.floor(el.getBoundingClientRect().width) || 320); }

  function pivot(rows, xIndex, seriesIndex, valueIndex, xs) {
    var names = [];
    rows.forEach(function (r) { if (names.indexOf(r[seriesIndex]) < 0) names.push(r[seriesIndex]); });
    var data = [xs.map(function (_, i) { return i; })];
    names.forEach(function (name) {
      var ys = xs.map(function () { return 0; });
      rows.forEach(function (r) {
        if (r[seriesIndex] === name) { var i = xs.indexOf(r[xIndex]); if (i >= 0) ys[i] += r[valueIndex]; }
      });
      data.push(ys);
    });
    return { names: names, data: data };
  }

  function draw(el, labels, names, data, bars) {
    var series = [{ label: "x", value: function (u, v) { return v == null ? "" : labels[v]; } }];
    names.forEach(function (name, i) {
      var s = { label: String(name), stroke: PALETTE[i % PALETTE.length], width: 2 };
      if (bars) {
        s.fill = PALETTE[i % PALETTE.length] + "cc";
        s.paths = uPlot.paths.bars({ size: [0.8 / Math.max(1, names.length), 60] });
        s.points = { show: false };
      }
      series.push(s);
    });
    var opts = {
      width: width(el), height: 240, series: series,
      scales: { x: { time: false, range: function (u, min, max) { return [min - 0.5, max + 0.5]; } } },
      axes: [
        { values: function (u, vals) { return vals.map(function (v) { return labels[v] === undefined ? "" : labels[v]; }); },
          incrs: [1], stroke: "#1b1b1f" },
        { stroke: "#1b1b1f" }
      ]
    };
    var plot = new uPlot(opts, data, el);
    el.setAttribute("data-drawn", String(data[0].length * Math.max(0, data.length - 1)));
    window.addEventListener("resize", function () { plot.setSize({ width: width(el), height: 240 }); });
  }

  function render() {
    var block = document.getElementById("chart-data");
    if (!block || typeof uPlot === "undefined") return;
    var all = JSON.parse(block.textContent);
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var chart = all[el.getAttribute("data-chart")];
      if (!chart || !chart.rows.length) { el.setAttribute("data-drawn", "0"); return; }
      var name = el.getAttribute("data-chart"), p, labels;
      if (name === "visitors") {
        var hours = []; for (var h = 0; h < 24; h++) hours.push(h);
        p = pivot(chart.rows, 0, 1, 2, hours);
        labels = hours.map(function (h) { return (h < 10 ? "0" : "") + h + "h"; });
        draw(el, labels, p.names, p.data, false);
      } else if (name === "dwell") {
        p = pivot(chart.rows, 1, 0, 3, [0, 1, 2, 3, 4, 5, 6]);
        draw(el, DWELL, p.names, p.data, true);
      } else {
        labels = chart.rows.map(function (r) { return String(r[0]); });
        var xs = labels.map(function (_, i) { return i; });
        var data = [xs];
        var names = chart.columns.slice(1);
        names.forEach(function (_, j) { data.push(chart.rows.map(function (r) { return r[j + 1]; })); });
        draw(el, labels, names, data, true);
      }
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", render);
  else render();
})();
