// The dashboard's charts: each canvas draws the table beneath it (the same numbers, which
// screen readers and the CSV download use). Chart.js is served by the console itself.
(function () {
  'use strict'
  // GOV.UK colours, and a dash or shape for each series so colour is never the only cue.
  var COLOURS = ['#1d70b8', '#d4351c', '#00703c', '#4c2c92']
  var DASHES = [[], [6, 4], [2, 2], [10, 3]]
  var POINTS = ['circle', 'rectRot', 'triangle', 'rect']

  function draw (canvas) {
    var source = document.getElementById(canvas.dataset.chart)
    if (!source || typeof window.Chart === 'undefined') return
    var data = JSON.parse(source.textContent)
    var kind = canvas.dataset.kind
    var percent = canvas.dataset.percent === 'true'
    data.datasets.forEach(function (set, i) {
      var colour = COLOURS[i % COLOURS.length]
      set.borderColor = colour
      set.backgroundColor = colour
      set.borderDash = DASHES[i % DASHES.length]
      set.pointStyle = POINTS[i % POINTS.length]
      set.pointRadius = 4
      set.spanGaps = true
    })
    var value = { beginAtZero: true, title: { display: true, text: canvas.dataset.axis } }
    if (percent) value.max = 100
    var scales = kind === 'bar-horizontal' ? { x: value } : { y: value }
    new window.Chart(canvas, {
      type: kind === 'line' ? 'line' : 'bar',
      data: data,
      options: {
        indexAxis: kind === 'bar-horizontal' ? 'y' : 'x',
        animation: false,
        maintainAspectRatio: false,
        scales: scales,
        plugins: { legend: { labels: { usePointStyle: true, color: '#0b0c0c' } } }
      }
    })
  }

  function drawAll () {
    document.querySelectorAll('canvas[data-chart]').forEach(draw)
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', drawAll)
  } else {
    drawAll()
  }
})()
