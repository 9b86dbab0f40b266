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

  function draw(el, xLabel, labels, names, data, bars) {
    var series = [{ label: xLabel, value: function (u, v) { return v == null ? "" : labels[v]; } }];
    names.forEach(function (name, i) {
      var s = { label: String(name), stroke: PALETTE[i % PALETTE.length], width: 2 };
      if (bars) {
        s.fill = PALETTE[i % PALETTE.length] + "cc";
        s.paths = uPlot.paths.bars({ size: [0.7, 60] });
        s.points = { show: false };
      } else {
        s.points = { show: true, size: 6 };
      }
      series.push(s);
    });
    var opts = {
      width: width(el), height: 240, series: series,
      scales: {
        x: { time: false, range: function () { return [-0.5, labels.length - 0.5]; } },
        y: { range: function (u, min, max) { return [0, Math.max(1, max) * 1.1]; } }
      },
      axes: [
        { values: function (u, vals) { return vals.map(function (v) { return labels[v] === undefined ? "" : labels[v]; }); },
          splits: function (u) {
            var step = Math.max(1, Math.ceil(labels.length / Math.max(1, Math.floor(u.bbox.width / devicePixelRatio / 48))));
            var out = []; for (var i = 0; i < labels.length; i += step) out.push(i); return out;
          },
          stroke: "#1b1b1f", rotate: 0 },
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
        draw(el, "hour", labels, p.names, p.data, false);
      } else if (name === "dwell") {
        p = pivot(chart.rows, 1, 0, 3, [0, 1, 2, 3, 4, 5, 6]);
        draw(el, "dwell", DWELL, p.names, p.data, false);
      } else {
        // one bar per row (artwork, language): the first figure; the table has the others
        var rows = chart.rows.slice(0, 30);
        labels = rows.map(function (r) { return String(r[0]); });
        var xs = labels.map(function (_, i) { return i; });
        draw(el, chart.columns[0], labels, [chart.columns[1]], [xs, rows.map(function (r) { return r[1]; })], true);
      }
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", render);
  else render();
})();
