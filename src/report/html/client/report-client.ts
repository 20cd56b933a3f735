/**
 * The script of report.html, as text: it runs in the reader's browser, inlined after uPlot, and draws each
 * chart spec (../chart-spec.ts) from the JSON in <script id="report-data">. It computes no figure: every
 * value comes from the run's files. Plain ES2019 with no imports (the page opens from disk, offline), kept
 * as a string so the compiled build (src/cli/build.js) carries it like any module. Write no backtick or
 * dollar-brace in it.
 */
export const REPORT_CLIENT_JS = String.raw`(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var charts = [];
  var SYNC = uPlot.sync('report');

  function clock(s) {
    if (s == null || !isFinite(s)) return '';
    var neg = s < 0;
    s = Math.round(Math.abs(s));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), ss = s % 60;
    var t = (h ? h + ':' + String(m).padStart(2, '0') : String(m)) + ':' + String(ss).padStart(2, '0');
    return neg ? '-' + t : t;
  }

  function num(v, unit) {
    if (v == null || !isFinite(v)) return '–';
    var a = Math.abs(v);
    var t = a >= 100 ? Math.round(v).toString() : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : a === 0 ? '0' : v.toPrecision(2);
    return unit ? t + ' ' + unit : t;
  }

  function tick(unit) {
    return function (u, vals) {
      // Whole-number ticks (counts, MB) print as whole numbers: 12, not 12.0.
      var whole = vals.every(function (v) { return v == null || Math.abs(v - Math.round(v)) < 1e-9; });
      return vals.map(function (v) { return v == null ? '' : (whole ? String(Math.round(v)) : num(v, '')) + (unit === '%' ? '%' : ''); });
    };
  }

  // Horizontal reference lines, vertical markers (OOM kills, restarts) with their names, shaded stages.
  function overlays(spec) {
    function xPos(u, x) { return Math.round(u.valToPos(x, 'x', true)); }
    return {
      hooks: {
        drawClear: [function (u) {
          var ctx = u.ctx, b = u.bbox;
          (spec.bands || []).forEach(function (band) {
            var x0 = Math.max(b.left, xPos(u, band.from)), x1 = Math.min(b.left + b.width, xPos(u, band.to));
            if (x1 <= x0) return;
            ctx.save();
            ctx.fillStyle = 'rgba(0,0,0,0.06)';
            ctx.fillRect(x0, b.top, x1 - x0, b.height);
            ctx.restore();
          });
        }],
        draw: [function (u) {
          var ctx = u.ctx, b = u.bbox, dpr = devicePixelRatio;
          ctx.save();
          ctx.font = (11 * dpr) + 'px sans-serif';
          (spec.lines || []).forEach(function (l) {
            var y = Math.round(u.valToPos(l.value, l.axis === 'right' ? 'y2' : 'y', true));
            if (!(y >= b.top && y <= b.top + b.height)) return;
            ctx.strokeStyle = l.color;
            ctx.lineWidth = 1.5 * dpr;
            ctx.setLineDash([8 * dpr, 4 * dpr]);
            ctx.beginPath(); ctx.moveTo(b.left, y); ctx.lineTo(b.left + b.width, y); ctx.stroke();
            ctx.setLineDash([]);
            ctx.fillStyle = l.color;
            ctx.textAlign = 'right';
            ctx.textBaseline = 'bottom';
            ctx.fillText(l.label, b.left + b.width - 4 * dpr, y - 2 * dpr);
          });
          var drawn = [];
          var rowEnd = [-1e9, -1e9, -1e9];
          var ms = (spec.markers || []).map(function (m) { return { m: m, x: xPos(u, m.x) }; }).filter(function (o) { return o.x >= b.left && o.x <= b.left + b.width; });
          // Kills last, so a restart in the same second cannot hide the red line.
          var isKill = function (o) { return o.m.kind === 'oom-kill' ? 1 : 0; };
          ms.slice().sort(function (a, b) { return isKill(a) - isKill(b); }).forEach(function (o) {
            var m = o.m, x = o.x;
            ctx.strokeStyle = m.color;
            ctx.lineWidth = (m.kind === 'oom-kill' ? 2 : 1.5) * dpr;
            ctx.setLineDash(m.kind === 'oom-kill' ? [] : [3 * dpr, 3 * dpr]);
            ctx.beginPath(); ctx.moveTo(x, b.top); ctx.lineTo(x, b.top + b.height); ctx.stroke();
            ctx.setLineDash([]);
            drawn.push({ x: m.x, label: m.label, kind: m.kind, px: x, top: Math.round(b.top), bottom: Math.round(b.top + b.height) });
          });
          // Names: markers of the same name close together share one label ("OOM kill: elasticsearch ×5"), on
          // up to three rows; a name with no room stays off the chart (the list under it names every marker).
          var groups = [];
          ms.forEach(function (o) {
            var g = groups.filter(function (g) { return g.label === o.m.label; })[0];
            var w = ctx.measureText(o.m.label + ' ×99').width + 6 * dpr;
            if (g && o.x - g.x0 < w * 1.5) { g.n++; return; }
            groups.push({ label: o.m.label, color: o.m.color, x0: o.x, n: 1 });
          });
          groups.sort(function (a, b) { return a.x0 - b.x0; });
          groups.forEach(function (g) {
            var text = g.n > 1 ? g.label + ' ×' + g.n : g.label;
            var w = ctx.measureText(text).width + 6 * dpr;
            var left = g.x0 + w > b.left + b.width ? g.x0 - w - 2 * dpr : g.x0 + 2 * dpr;
            var row = 0;
            while (row < 3 && left < rowEnd[row]) row++;
            if (row >= 3) return;
            rowEnd[row] = left + w + 4 * dpr;
            var y = b.top + (3 + row * 13) * dpr;
            ctx.fillStyle = 'rgba(255,255,255,0.85)';
            ctx.fillRect(left, y - 1 * dpr, w, 13 * dpr);
            ctx.fillStyle = g.color;
            ctx.textAlign = 'left';
            ctx.textBaseline = 'top';
            ctx.fillText(text, left + 2 * dpr, y);
          });
          // Stage names on top of the data, under the markers' three rows of names.
          (spec.bands || []).forEach(function (band) {
            var x0 = Math.max(b.left, xPos(u, band.from));
            if (x0 >= b.left + b.width) return;
            var w = ctx.measureText(band.label).width + 6 * dpr;
            ctx.fillStyle = 'rgba(255,255,255,0.8)';
            ctx.fillRect(x0 + 2 * dpr, b.top + 41 * dpr, w, 13 * dpr);
            ctx.fillStyle = '#444';
            ctx.textAlign = 'left';
            ctx.textBaseline = 'top';
            ctx.fillText(band.label, x0 + 4 * dpr, b.top + 42 * dpr);
          });
          ctx.restore();
          u.root.closest('[data-chart]').setAttribute('data-markers', JSON.stringify(drawn));
        }],
      },
    };
  }

  function build(spec, el) {
    var series = [{ label: spec.xKind === 'time' ? 'time' : spec.xLabel || 'x', value: function (u, v) { return spec.xKind === 'time' ? clock(v) : num(v, 'req/s'); } }];
    var bands = [];
    spec.series.forEach(function (s, i) {
      var unit = s.axis === 'right' ? (spec.right && spec.right.unit) : spec.left.unit;
      series.push({
        label: s.label,
        stroke: s.color,
        width: s.width || 1.5,
        dash: s.dash,
        fill: s.fill,
        scale: s.axis === 'right' ? 'y2' : 'y',
        spanGaps: false,
        points: { show: Boolean(s.points), size: 6, fill: s.color },
        value: function (u, v, si, idx) {
          var own = s.own && idx != null ? s.own[idx] : v;
          return num(own, unit);
        },
      });
      // Stacked areas: each band fills from the one below, not from zero.
      if (s.own && i > 0 && spec.series[i - 1].own) bands.push({ series: [i + 1, i], fill: s.fill });
    });
    var axes = [
      { values: function (u, vals) { return vals.map(function (v) { return spec.xKind === 'time' ? clock(v) : num(v, ''); }); }, label: spec.xKind === 'time' ? 'time since the run started (m:ss)' : spec.xLabel, labelSize: 18, size: 36 },
      { scale: 'y', label: spec.left.label, labelSize: 18, size: 56, values: tick(spec.left.unit === '%' ? '%' : '') },
    ];
    // The x range covers every marker too: a kill after the last sampled second is still drawn.
    var mx = (spec.markers || []).map(function (m) { return m.x; });
    var xRange = function (u, min, max) {
      mx.forEach(function (v) { if (v < min) min = v; if (v > max) max = v; });
      return min === max ? [min - 1, max + 1] : [min, max];
    };
    var scales = { x: { time: false, range: xRange }, y: { distr: spec.left.log ? 3 : 1, range: rangeFor(spec, spec.left, 'left') } };
    if (spec.right) {
      axes.push({ scale: 'y2', side: 1, label: spec.right.label, labelSize: 18, size: 56, grid: { show: false }, values: tick(spec.right.unit === '%' ? '%' : '') });
      scales.y2 = { distr: spec.right.log ? 3 : 1, range: rangeFor(spec, spec.right, 'right') };
    }
    var opts = {
      width: Math.max(320, el.clientWidth),
      height: 280,
      series: series,
      bands: bands,
      axes: axes,
      scales: scales,
      cursor: { sync: { key: spec.xKind === 'time' ? SYNC.key : 'rate-' + spec.id }, drag: { x: true, y: false } },
      legend: { live: true },
      plugins: [overlays(spec)],
    };
    var rows = [spec.x].concat(spec.series.map(function (s) { return s.values; }));
    var u = new uPlot(opts, rows, el);
    // A stack far below its cap is a flat band at the bottom: a button zooms the y axis to the data and back.
    if (spec.id === 'memory' && spec.left.max != null) {
      var btn = document.createElement('button');
      btn.type = 'button';
      btn.className = 'zoom';
      btn.textContent = 'Zoom to the data';
      btn.addEventListener('click', function () {
        spec.left.zoomed = !spec.left.zoomed;
        btn.textContent = spec.left.zoomed ? 'Show the whole cap' : 'Zoom to the data';
        u.setData(u.data, true);
      });
      el.parentNode.insertBefore(btn, el);
    }
    charts.push({ id: spec.id, plot: u, el: el, colors: spec.series.map(function (s) { return s.color; }) });
  }

  // Log scales cannot start at 0; reference lines must stay in view.
  function rangeFor(spec, axis, side) {
    return function (u, min, max) {
      var lines = (spec.lines || []).filter(function (l) { return (l.axis || 'left') === side; }).map(function (l) { return l.value; });
      var lo = axis.min != null ? axis.min : min, hi = max == null ? 0 : max;
      // Zoomed to the data (the memory chart's button): the cap's lines no longer set the range.
      if (!axis.zoomed) {
        lines.forEach(function (v) { if (v > hi) hi = v; if (!axis.log && v < lo) lo = v; });
        if (axis.max != null && axis.max > hi) hi = axis.max;
      }
      if (axis.log) {
        lo = Math.max(0.1, Math.min(lo == null ? 1 : lo, 1));
        hi = Math.max(hi, 10);
        return [Math.pow(10, Math.floor(Math.log10(lo))), Math.pow(10, Math.ceil(Math.log10(hi * 1.2)))];
      }
      if (lo == null || !isFinite(lo)) lo = 0;
      if (!isFinite(hi) || hi <= lo) hi = lo + 1;
      return [lo, hi * 1.08];
    };
  }

  data.charts.forEach(function (spec) {
    var el = document.querySelector('[data-chart="' + spec.id + '"] .plot');
    if (el) build(spec, el);
  });

  function fit(width) {
    charts.forEach(function (c) { c.plot.setSize({ width: width || Math.max(320, c.el.clientWidth), height: 280 }); });
  }
  var t;
  window.addEventListener('resize', function () { clearTimeout(t); t = setTimeout(function () { fit(); }, 100); });
  // Printed on A4 the page is about 680 px wide: draw the charts at that width so nothing is cut.
  window.addEventListener('beforeprint', function () { fit(680); });
  window.addEventListener('afterprint', function () { fit(); });
  window.__report = { charts: charts.map(function (c) { return { id: c.id, colors: c.colors }; }) };
  // Milliseconds from navigation to every chart drawn: what the report benchmark reads.
  document.documentElement.setAttribute('data-charts-ms', String(Math.round(performance.now())));
  document.documentElement.setAttribute('data-charts-ready', String(charts.length));
})();
`;
