/**
 * The page's script, run in the browser: merges the snapshots the server sends (or the one a
 * report embeds) and draws them. Plain DOM and canvas, no library, so the page needs no
 * network. Kept free of backticks and template placeholders: it lives in a template string.
 */
export const PAGE_SCRIPT = `
'use strict';
var WINDOW_MS = 60000;
var pools = new Map();
var cfg = window.SPINDLE_PAGE;
var fmt = function (n) { return Math.round(n).toLocaleString('en-US'); };
var esc = function (s) { return String(s).replace(/[&<>"']/g, function (c) { return '&#' + c.charCodeAt(0) + ';'; }); };
var PALETTE = ['#4e79a7','#f28e2b','#59a14f','#e15759','#76b7b2','#edc948','#b07aa1','#ff9da7','#9c755f','#bab0ac'];
function colour(i) { return PALETTE[i % PALETTE.length]; }
function bytes(n) {
  if (n === undefined || n === null) return '';
  if (n >= 1048576) return (n / 1048576).toFixed(1) + ' MB';
  return fmt(n / 1024) + ' kB';
}
function clock(t) { return new Date(t).toLocaleTimeString('en-GB'); }

function apply(msg) {
  for (var i = 0; i < msg.pools.length; i++) {
    var p = msg.pools[i];
    var cur = pools.get(p.id);
    if (msg.type === 'full' || !cur) { pools.set(p.id, p); continue; }
    cur.stats = p.stats; cur.workers = p.workers; cur.names = p.names; cur.calls = p.calls;
    cur.errors = p.errors; cur.now = p.now; cur.extra = p.extra; cur.label = p.label;
    for (var j = 0; j < p.spans.length; j++) cur.spans.push(p.spans[j]);
    for (var k = 0; k < p.samples.length; k++) {
      var last = cur.samples[cur.samples.length - 1];
      if (!last || last[0] < p.samples[k][0]) cur.samples.push(p.samples[k]);
    }
    if (cfg.live) {
      var cutoff = p.now - WINDOW_MS;
      var drop = 0;
      while (drop < cur.spans.length && cur.spans[drop][2] + cur.spans[drop][3] < cutoff) drop++;
      if (drop > 0) cur.spans.splice(0, drop);
      if (cur.samples.length > 600) cur.samples.splice(0, cur.samples.length - 600);
    }
  }
  render();
}

function section(p) {
  var el = document.querySelector('section[data-pool="' + p.id + '"]');
  if (el) return el;
  el = document.createElement('section');
  el.className = 'pool';
  el.setAttribute('data-pool', p.id);
  el.innerHTML = '<h2></h2><div class="counts"></div>' +
    '<h3>Workers</h3><table class="workers"><thead><tr><th>worker</th><th>state</th><th>tasks done</th><th>items</th><th>failed</th><th>memory</th></tr></thead><tbody></tbody></table>' +
    '<h3>Task stream</h3><canvas class="timeline" height="120"></canvas><div class="legend"></div>' +
    '<h3>Throughput and queue length</h3><canvas class="series" height="140"></canvas><div class="series-text"></div>' +
    '<h3>Calls</h3><ul class="calls"></ul>' +
    '<h3>Recent errors</h3><ul class="errors"></ul>';
  document.getElementById('pools').appendChild(el);
  return el;
}

function render() {
  pools.forEach(function (p) {
    var el = section(p);
    el.querySelector('h2').textContent = p.label;
    var s = p.stats;
    var counts = [['completed', s.completed], ['failed', s.failed], ['queued', s.queued],
      ['running', s.inFlight], ['workers', s.workers], ['cancelled', s.cancelled],
      ['retried', s.retried], ['crashes', s.crashes]];
    if (p.extra) for (var key in p.extra) counts.push([key, p.extra[key]]);
    el.querySelector('.counts').innerHTML = counts.map(function (c) {
      return '<div class="count" data-count="' + esc(c[0]) + '"><span class="label">' + esc(c[0]) +
        '</span> <span class="value">' + fmt(c[1]) + '</span></div>';
    }).join('');
    el.querySelector('.workers tbody').innerHTML = p.workers.map(function (w) {
      var state = w.exitedAt ? (w.exit && w.exit.crashed ? 'crashed' : 'stopped' + (w.exit && w.exit.reason ? ' (' + w.exit.reason + ')' : ''))
        : (w.state || (w.running > 0 ? 'busy' : 'idle'));
      return '<tr data-worker-id="' + esc(w.id) + '" class="' + (w.exitedAt ? 'gone' : state) + '"><td>worker ' + esc(w.id) +
        '</td><td class="state">' + esc(state) + '</td><td>' + fmt(w.tasks) + '</td><td>' + fmt(w.items) +
        '</td><td>' + fmt(w.failed) + '</td><td>' + bytes(w.heap) + '</td></tr>';
    }).join('') || '<tr><td colspan="6">no workers yet (they start with the first task)</td></tr>';
    drawTimeline(el, p);
    drawSeries(el, p);
    el.querySelector('.calls').innerHTML = p.calls.map(function (c) {
      var pct = c.total ? Math.floor((100 * c.done) / c.total) : undefined;
      var text = c.kind + ' ' + c.name + ': ' + fmt(c.done) + (c.total !== undefined ? ' / ' + fmt(c.total) + ' (' + pct + '%)' : ' done') +
        (c.failed ? ', ' + fmt(c.failed) + ' failed' : '') + (c.finishedAt ? ' (finished)' : ' (running)');
      return '<li class="call" data-call="' + c.id + '"><progress max="' + (c.total || 1) + '" value="' + (c.total ? c.done : 0) + '"></progress> ' + esc(text) + '</li>';
    }).join('') || '<li class="none">no calls with progress yet</li>';
    el.querySelector('.errors').innerHTML = p.errors.slice().reverse().map(function (e) {
      return '<li class="error">' + clock(e.at) + ' ' + esc(e.name) + (e.workerId !== undefined ? ' on worker ' + esc(e.workerId) : '') +
        ': <span class="message">' + esc(e.message) + '</span></li>';
    }).join('') || '<li class="none">no errors</li>';
  });
  var status = document.getElementById('status');
  if (status && cfg.live) status.textContent = connected ? 'live, updated ' + clock(Date.now()) : 'disconnected, retrying';
}

function fitCanvas(canvas, height) {
  var ratio = window.devicePixelRatio || 1;
  var width = canvas.clientWidth || 800;
  canvas.style.height = height + 'px';
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  var ctx = canvas.getContext('2d');
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  return { ctx: ctx, width: width, height: height };
}

function drawTimeline(el, p) {
  var ids = [];
  var seen = new Set();
  p.workers.forEach(function (w) { if (!seen.has(String(w.id))) { seen.add(String(w.id)); ids.push(w.id); } });
  p.spans.forEach(function (s) { if (!seen.has(String(s[0]))) { seen.add(String(s[0])); ids.push(s[0]); } });
  var rowH = 18, left = 80;
  var c = fitCanvas(el.querySelector('.timeline'), Math.max(40, ids.length * rowH + 24));
  var ctx = c.ctx;
  var t1 = cfg.live ? p.now : p.spans.reduce(function (m, s) { return Math.max(m, s[2] + s[3]); }, p.now);
  var t0 = cfg.live ? t1 - WINDOW_MS : p.spans.reduce(function (m, s) { return Math.min(m, s[2]); }, t1 - 1000);
  var span = Math.max(1, t1 - t0);
  var x = function (t) { return left + ((t - t0) / span) * (c.width - left - 8); };
  ctx.clearRect(0, 0, c.width, c.height);
  ctx.font = '11px sans-serif';
  ctx.fillStyle = '#555';
  var row = new Map();
  ids.forEach(function (id, i) { row.set(String(id), i); ctx.fillText('worker ' + id, 4, i * rowH + 13); });
  p.spans.forEach(function (s) {
    var r = row.get(String(s[0]));
    var a = x(Math.max(t0, s[2])), b = x(Math.min(t1, s[2] + s[3]));
    ctx.fillStyle = s[5] ? colour(s[1]) : '#d62728';
    ctx.fillRect(a, r * rowH + 2, Math.max(1, b - a), rowH - 4);
  });
  ctx.fillStyle = '#555';
  var axis = ids.length * rowH + 16;
  ctx.fillText(cfg.live ? '60 s ago' : clock(t0), left, axis);
  var end = cfg.live ? 'now' : clock(t1);
  ctx.fillText(end, c.width - ctx.measureText(end).width - 8, axis);
  el.querySelector('.legend').innerHTML = p.names.map(function (n, i) {
    return '<span class="key"><i style="background:' + colour(i) + '"></i>' + esc(n) + '</span>';
  }).join('') + (p.spans.some(function (s) { return !s[5]; }) ? '<span class="key"><i style="background:#d62728"></i>failed</span>' : '');
}

function drawSeries(el, p) {
  var c = fitCanvas(el.querySelector('.series'), 140);
  var ctx = c.ctx;
  var samples = p.samples;
  ctx.clearRect(0, 0, c.width, c.height);
  var last = samples[samples.length - 1];
  var maxRate = 1, maxQueue = 1;
  samples.forEach(function (s) { maxRate = Math.max(maxRate, s[1]); maxQueue = Math.max(maxQueue, s[3]); });
  var t0 = samples.length ? samples[0][0] : 0, t1 = last ? last[0] : 1;
  var x = function (t) { return 40 + ((t - t0) / Math.max(1, t1 - t0)) * (c.width - 48); };
  var line = function (idx, max, colourOf) {
    ctx.strokeStyle = colourOf; ctx.lineWidth = 1.5; ctx.beginPath();
    samples.forEach(function (s, i) {
      var y = c.height - 16 - (s[idx] / max) * (c.height - 28);
      if (i === 0) ctx.moveTo(x(s[0]), y); else ctx.lineTo(x(s[0]), y);
    });
    ctx.stroke();
  };
  line(1, maxRate, '#4e79a7');
  line(3, maxQueue, '#f28e2b');
  ctx.fillStyle = '#555'; ctx.font = '11px sans-serif';
  ctx.fillText(fmt(maxRate) + '/s', 2, 12);
  ctx.fillText(samples.length ? clock(t0) : '', 40, c.height - 2);
  el.querySelector('.series-text').innerHTML = last
    ? '<span class="rate" style="color:#4e79a7">throughput ' + fmt(last[1]) + ' tasks/s (' + fmt(last[2]) + ' items/s)</span> · ' +
      '<span class="queue" style="color:#f28e2b">queue length ' + fmt(last[3]) + '</span> (peak ' + fmt(maxQueue) + ')'
    : 'no samples yet';
}

var connected = false;
if (cfg.live) {
  var source = new EventSource('events' + location.search);
  source.onopen = function () { connected = true; };
  source.onerror = function () { connected = false; render(); };
  source.onmessage = function (e) { connected = true; apply(JSON.parse(e.data)); };
} else {
  apply({ type: 'full', pools: cfg.data.pools });
}
window.addEventListener('resize', render);
`;
