/* global document, window, uPlot */
// The report page's two charts, drawn with uPlot (served by the gateway) from the data the
// server put in #report-data. A click on a week or a bar opens the requests behind it.
(function () {
  'use strict';
  var holder = document.getElementById('report-data');
  if (!holder || typeof uPlot === 'undefined') return;
  var data = JSON.parse(holder.getAttribute('data-report') || '{}');

  function width(el) {
    return Math.max(280, Math.min(720, el.clientWidth || 600));
  }

  function go(figure) {
    window.location.href = data.links.base + '&figure=' + encodeURIComponent(figure);
  }

  function clickable(plot, figureAt) {
    plot.over.addEventListener('click', function () {
      var idx = plot.cursor.idx;
      if (idx !== null && idx !== undefined) go(figureAt(idx));
    });
    plot.over.style.cursor = 'pointer';
  }

  var weeklyEl = document.getElementById('weekly-chart');
  if (weeklyEl && data.weekly.length > 0) {
    var xs = data.weekly.map(function (w) { return Date.parse(w.week + 'T12:00:00Z') / 1000; });
    var rates = data.weekly.map(function (w) { return w.metRate === null ? null : Math.round(w.metRate * 1000) / 10; });
    var weekly = new uPlot(
      {
        width: width(weeklyEl),
        height: 220,
        tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), 'Europe/Warsaw'); },
        scales: { y: { range: [0, 100] } },
        series: [{ label: data.labels.week }, { label: '%', stroke: '#1565c0', width: 2, points: { size: 7 } }],
        axes: [{}, { values: function (u, vals) { return vals.map(function (v) { return v + '%'; }); } }],
      },
      [xs, rates],
      weeklyEl,
    );
    clickable(weekly, function (idx) { return 'week:' + data.weekly[idx].week; });
  }

  var distEl = document.getElementById('distribution-chart');
  if (distEl && data.distribution.length > 0) {
    var bars = data.distribution;
    var labels = bars.map(function (b, i) {
      return b.upTo === null ? '> ' + bars[i - 1].upTo : '≤ ' + b.upTo;
    });
    var distribution = new uPlot(
      {
        width: width(distEl),
        height: 220,
        scales: { x: { time: false, range: [-0.5, bars.length - 0.5] } },
        series: [{ label: data.labels.bar, value: function (u, v) { return v === null || labels[v] === undefined ? '--' : labels[v]; } }, { label: 'n', fill: 'rgba(21,101,192,0.4)', stroke: '#1565c0', paths: uPlot.paths.bars({ size: [0.7, 80] }), points: { show: false } }],
        axes: [{ values: function (u, vals) { return vals.map(function (v) { return labels[v] === undefined ? '' : labels[v]; }); }, splits: function () { return bars.map(function (_, i) { return i; }); } }, {}],
      },
      [bars.map(function (_, i) { return i; }), bars.map(function (b) { return b.count; })],
      distEl,
    );
    clickable(distribution, function (idx) { return 'minutes:' + (bars[idx].upTo === null ? 'over' : bars[idx].upTo); });
  }
})();
