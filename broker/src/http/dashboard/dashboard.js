// Mote's live telemetry page: subscribes over MQTT-over-WebSockets with MQTT.js
// (served by the broker as /mqtt.min.js), shows each topic's latest value, charts
// numeric values, and polls the broker's /metrics. No external resources.
'use strict';

(function () {
  const MAX_TOPICS = 200;
  const MAX_POINTS = 120;
  const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
  const topics = new Map();  // topic -> {row, count, points: [[ms, value]], color}
  let client = null;
  let filter = null;
  let chartDirty = false;

  const $ = (id) => document.getElementById(id);

  function setStatus(text, on) {
    const s = $('status');
    s.textContent = text;
    s.className = 'status ' + (on ? 'on' : 'off');
  }

  // A plain number, or a JSON object's value/v/t/temp/temperature field, or its
  // first numeric field other than seq: the firmware sensor sends {"seq":N,"t":T}.
  function numericValue(text) {
    const trimmed = text.trim();
    if (trimmed !== '' && !isNaN(Number(trimmed))) return Number(trimmed);
    if (trimmed[0] !== '{') return null;
    let obj;
    try { obj = JSON.parse(trimmed); } catch (e) { return null; }
    if (obj === null || typeof obj !== 'object') return null;
    for (const k of ['value', 'v', 't', 'temp', 'temperature']) {
      if (typeof obj[k] === 'number') return obj[k];
    }
    for (const k of Object.keys(obj)) {
      if (k !== 'seq' && typeof obj[k] === 'number') return obj[k];
    }
    return null;
  }

  function decode(payload) {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(payload);
    } catch (e) {
      return '(' + payload.length + ' bytes, not UTF-8)';
    }
  }

  function rowFor(topic) {
    let t = topics.get(topic);
    if (t) return t;
    if (topics.size >= MAX_TOPICS) return null;
    const row = document.createElement('tr');
    row.dataset.topic = topic;
    for (const cls of ['topic', 'payload', 'value', 'count', 'time']) {
      const td = document.createElement('td');
      td.className = cls;
      row.appendChild(td);
    }
    row.cells[0].textContent = topic;
    $('topics').tBodies[0].appendChild(row);
    t = { row, count: 0, points: [], color: COLORS[topics.size % COLORS.length] };
    topics.set(topic, t);
    $('topic-count').textContent = '(' + topics.size + ' topic' + (topics.size === 1 ? '' : 's') + ')';
    return t;
  }

  function onMessage(topic, payload) {
    const t = rowFor(topic);
    if (!t) return;
    const text = decode(payload);
    const value = numericValue(text);
    t.count += 1;
    t.row.cells[1].textContent = text.length > 200 ? text.slice(0, 200) + '…' : text;
    t.row.cells[2].textContent = value === null ? '' : String(value);
    t.row.cells[3].textContent = String(t.count);
    t.row.cells[4].textContent = new Date().toLocaleTimeString();
    if (value !== null) {
      t.points.push([Date.now(), value]);
      if (t.points.length > MAX_POINTS) t.points.shift();
      chartDirty = true;
    }
  }

  function drawChart() {
    if (!chartDirty) return;
    chartDirty = false;
    const canvas = $('chart');
    const ctx = canvas.getContext('2d');
    const w = canvas.width, h = canvas.height, pad = 36;
    ctx.clearRect(0, 0, w, h);
    const series = [...topics.entries()].filter(([, t]) => t.points.length > 0).slice(0, COLORS.length);
    if (series.length === 0) return;
    let t0 = Infinity, t1 = -Infinity, lo = Infinity, hi = -Infinity;
    for (const [, t] of series) {
      for (const [ms, v] of t.points) {
        t0 = Math.min(t0, ms); t1 = Math.max(t1, ms); lo = Math.min(lo, v); hi = Math.max(hi, v);
      }
    }
    if (hi === lo) { hi += 1; lo -= 1; }
    if (t1 === t0) t1 = t0 + 1;
    const x = (ms) => pad + (ms - t0) / (t1 - t0) * (w - 2 * pad);
    const y = (v) => h - pad + (lo - v) / (hi - lo) * (h - 2 * pad);
    ctx.strokeStyle = '#c8d0d8';
    ctx.fillStyle = '#6b7785';
    ctx.font = '11px sans-serif';
    ctx.beginPath(); ctx.moveTo(pad, pad / 2); ctx.lineTo(pad, h - pad); ctx.lineTo(w - pad / 2, h - pad); ctx.stroke();
    ctx.fillText(hi.toPrecision(4), 2, y(hi) + 4);
    ctx.fillText(lo.toPrecision(4), 2, y(lo) + 4);
    ctx.fillText(((t1 - t0) / 1000).toFixed(0) + ' s', w - pad - 20, h - pad + 16);
    const legend = $('legend');
    legend.textContent = '';
    for (const [topic, t] of series) {
      ctx.strokeStyle = t.color;
      ctx.lineWidth = 2;
      ctx.beginPath();
      t.points.forEach(([ms, v], i) => (i === 0 ? ctx.moveTo(x(ms), y(v)) : ctx.lineTo(x(ms), y(v))));
      ctx.stroke();
      const item = document.createElement('span');
      const swatch = document.createElement('i');
      swatch.style.background = t.color;
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(topic));
      legend.appendChild(item);
    }
  }

  function subscribe(newFilter) {
    if (!client) return;
    if (filter !== null && filter !== newFilter) client.unsubscribe(filter);
    for (const [, t] of topics) t.row.remove();
    topics.clear();
    chartDirty = true;
    filter = newFilter;
    client.subscribe(filter, { qos: 0 }, (err) => {
      if (err) setStatus('subscribe failed: ' + err.message, false);
    });
  }

  // The /metrics samples the page shows, summed over their labels.
  const SHOWN = [
    ['mote_clients_connected', 'Clients connected'],
    ['mote_connections', 'Open connections'],
    ['mote_messages_received_total', 'Messages received'],
    ['mote_messages_sent_total', 'Messages sent'],
    ['mote_messages_dropped_total', 'Messages dropped'],
    ['mote_messages_queued', 'Messages queued'],
    ['mote_messages_inflight', 'Messages in flight'],
    ['mote_retained_messages', 'Retained messages'],
    ['mote_subscriptions', 'Subscriptions'],
    ['mote_bytes_received_total', 'Bytes received'],
    ['mote_bytes_sent_total', 'Bytes sent'],
    ['process_resident_memory_bytes', 'Resident memory (bytes)'],
    ['mote_uptime_seconds', 'Uptime (s)'],
  ];

  function showMetrics(text) {
    const sums = new Map();
    for (const line of text.split('\n')) {
      if (line === '' || line[0] === '#') continue;
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
      if (m) sums.set(m[1], (sums.get(m[1]) || 0) + Number(m[3]));
    }
    const box = $('metrics');
    box.textContent = '';
    for (const [name, label] of SHOWN) {
      if (!sums.has(name)) continue;
      const div = document.createElement('div');
      div.dataset.metric = name;
      div.textContent = label;
      const v = document.createElement('span');
      v.textContent = String(sums.get(name));
      div.appendChild(v);
      box.appendChild(div);
    }
    $('metrics-time').textContent = '(updated ' + new Date().toLocaleTimeString() + ')';
  }

  async function pollMetrics() {
    try {
      const r = await fetch('/metrics', { cache: 'no-store' });
      if (r.ok) showMetrics(await r.text());
    } catch (e) {
      $('metrics-time').textContent = '(metrics unavailable)';
    }
  }

  async function start() {
    let cfg;
    try {
      cfg = await (await fetch('/config.json', { cache: 'no-store' })).json();
    } catch (e) {
      setStatus('cannot read /config.json', false);
      return;
    }
    let url = cfg.websocket_url;
    if (!url && cfg.websocket_port) url = 'ws://' + location.hostname + ':' + cfg.websocket_port + '/mqtt';
    if (!url) {
      setStatus('no WebSocket listener: set http_dashboard_websocket_url', false);
      return;
    }
    $('filter').value = cfg.default_filter || 'sensors/#';
    $('ws-url').textContent = url;
    client = mqtt.connect(url, {
      clientId: 'mote-dashboard-' + Math.random().toString(16).slice(2, 10),
      clean: true,
      reconnectPeriod: 2000,
      connectTimeout: 5000,
    });
    client.on('connect', () => {
      setStatus('connected', true);
      subscribe($('filter').value);
    });
    client.on('reconnect', () => setStatus('reconnecting…', false));
    client.on('close', () => setStatus('disconnected', false));
    client.on('error', (e) => setStatus('error: ' + e.message, false));
    client.on('message', onMessage);
    $('filter-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const f = $('filter').value.trim();
      if (f !== '') subscribe(f);
    });
    pollMetrics();
    setInterval(pollMetrics, 2000);
    setInterval(drawChart, 250);
  }

  start();
})();
