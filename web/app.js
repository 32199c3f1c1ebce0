// app.js - dspd's web page: the status and live meters from GET /events
// (Server-Sent Events), the pipeline and its response from POST /rpc
// (JSON-RPC: pipeline.list, pipeline.response), the master gain and mute
// (gain.set, mute.set: only with the token of http.token_file).  No
// library, no request to another origin.  window.dspd exposes what was
// last drawn, for the browser test (tests/e2e/test_web.py).
'use strict';

const $ = (id) => document.getElementById(id);
const FLOOR_DB = -72;             // the meters' and the bars' bottom
const HOLD_MS = 1500;             // a peak-hold mark stays this long

const dspd = window.dspd = {
  plotData: null,                 // {block, freqs, channels: [{channel, db}]}
  meterUpdates: 0,                // level events drawn
  lastLevels: null,               // the last levels event
  lastStatus: null,
  responseError: null,            // why no curve is drawn, or null
  rpc: null,
};

// ---- the token: the URL fragment (#token=...) or the form, kept in
// sessionStorage (this tab only), sent as Authorization: Bearer ----
function takeTokenFromFragment() {
  const m = /(?:^#|&)token=([^&]*)/.exec(location.hash);
  if (m) {
    sessionStorage.setItem('dspd-token', decodeURIComponent(m[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
}
const token = () => sessionStorage.getItem('dspd-token') || '';

// ---- JSON-RPC over HTTP ----
let rpcId = 0;
class RpcError extends Error {
  constructor(code, message, data) { super(message); this.code = code; this.data = data; }
}
async function rpc(method, params) {
  const headers = { 'Content-Type': 'application/json' };
  if (token()) headers.Authorization = 'Bearer ' + token();
  const body = { jsonrpc: '2.0', id: ++rpcId, method };
  if (params) body.params = params;
  const res = await fetch('/rpc', { method: 'POST', headers, body: JSON.stringify(body),
                                    cache: 'no-store' });
  let answer;
  try { answer = await res.json(); } catch (e) {
    throw new RpcError(-32000, 'HTTP ' + res.status + ' ' + res.statusText);
  }
  if (answer.error) {
    const e = answer.error;
    const reason = e.data && e.data.reason ? ': ' + e.data.reason : '';
    throw new RpcError(e.code, e.message + reason, e.data);
  }
  return answer.result;
}
dspd.rpc = rpc;

function say(text, isError) {
  const m = $('message');
  m.textContent = text;
  m.className = isError ? 'error' : 'muted';
}

// ---- status ----
const fmtMs = (v) => (v === undefined ? '–' : v.toFixed(2) + ' ms');
function streamText(s) {
  if (!s) return '–';
  return s.device + ': ' + s.format + ', ' + s.channels + ' ch, ' + s.rate + ' Hz';
}
function showStatus(st) {
  dspd.lastStatus = st;
  const badge = $('state');
  badge.textContent = st.state;
  badge.className = 'badge ' + (st.state === 'running' ? 'running' : 'bad');
  const rows = [
    ['capture', streamText(st.capture)],
    ['playback', streamText(st.playback)],
    ['period', st.period_frames + ' frames × ' + st.periods + ' (' + fmtMs(st.period_ms) + ')'],
    ['latency', st.latency_frames + ' frames (' + fmtMs(st.latency_ms) + ')'],
    ['load', st.load ? (100 * st.load.avg).toFixed(1) + ' % avg, ' +
                       (100 * st.load.max).toFixed(1) + ' % max' : '–'],
    ['xruns', 'capture ' + st.xruns.capture + ', playback ' + st.xruns.playback],
    ['realtime', st.rt ? 'SCHED_FIFO ' + st.rt_priority : 'no'],
    ['uptime', Math.round(st.uptime_s) + ' s'],
  ];
  const dl = $('status');
  dl.replaceChildren();
  for (const [k, v] of rows) {
    const dt = document.createElement('dt');
    const dd = document.createElement('dd');
    dt.textContent = k;
    dd.textContent = v;
    dl.append(dt, dd);
  }
  showGain(st.gain);
  if (st.config && st.config.active_generation !== lastGeneration) {
    lastGeneration = st.config.active_generation;
    loadPipeline();
  }
}

// ---- gain and mute ----
let gainBusy = false;             // the user is moving the slider
function showGain(g) {
  if (!g) return;
  const slider = $('gain');
  slider.max = Math.min(g.max_db, 12);
  if (!gainBusy) slider.value = g.db;
  $('gain-value').textContent = (gainBusy ? Number(slider.value) : g.db).toFixed(1) + ' dB';
  $('mute').checked = g.mute;
}
function enableControls() {
  const on = token() !== '';
  $('gain').disabled = !on;
  $('mute').disabled = !on;
  $('conn').textContent = on ? 'control (token)' : 'read-only';
}
let gainTimer = null;
function sendGain() {
  gainTimer = null;
  const db = Number($('gain').value);
  rpc('gain.set', { db }).then((g) => { say('gain ' + g.db.toFixed(1) + ' dB'); showGain(g); },
                               (e) => say('gain.set refused: ' + e.message, true))
    .finally(() => { gainBusy = false; });
}
function setupControls() {
  const slider = $('gain');
  slider.addEventListener('input', () => {
    gainBusy = true;
    $('gain-value').textContent = Number(slider.value).toFixed(1) + ' dB';
    if (!gainTimer) gainTimer = setTimeout(sendGain, 50);
  });
  $('mute').addEventListener('change', (ev) => {
    rpc('mute.set', { mute: ev.target.checked })
      .then((g) => { say(g.mute ? 'muted' : 'unmuted'); showGain(g); },
            (e) => { say('mute.set refused: ' + e.message, true); ev.target.checked = !ev.target.checked; });
  });
  $('token-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    sessionStorage.setItem('dspd-token', $('token').value.trim());
    $('token').value = '';
    enableControls();
    say('token kept for this tab');
  });
  $('show-phase').addEventListener('change', () => drawResponse(dspd.plotData));
  $('forget').addEventListener('click', () => {
    sessionStorage.removeItem('dspd-token');
    enableControls();
    say('read-only');
  });
}

// ---- meters ----
const hold = {};                  // "capture0" -> {db, until}
function dbToX(db, x0, w) {
  const v = Math.max(FLOOR_DB, Math.min(0, db));
  return x0 + w * (v - FLOOR_DB) / -FLOOR_DB;
}
function drawMeters(lv) {
  const c = $('meters');
  const g = c.getContext('2d');
  const rows = [];
  for (const tap of ['capture', 'playback'])
    for (const ch of lv[tap] || []) rows.push([tap, ch]);
  const rowH = 18, top = 8, x0 = 110, w = c.width - x0 - 70;
  const need = top + rows.length * rowH + 24;
  if (c.height !== need) c.height = need;
  g.fillStyle = '#101215';
  g.fillRect(0, 0, c.width, c.height);
  g.font = '12px system-ui, sans-serif';
  const now = performance.now();
  rows.forEach(([tap, ch], i) => {
    const y = top + i * rowH;
    const key = tap + ch.channel;
    let h = hold[key];
    if (!h || ch.peak_dbfs >= h.db || now > h.until) h = hold[key] = { db: ch.peak_dbfs, until: now + HOLD_MS };
    g.fillStyle = '#8a9099';
    g.fillText(tap + ' ' + ch.channel, 8, y + 12);
    g.fillStyle = '#23272e';
    g.fillRect(x0, y + 2, w, rowH - 6);
    const grad = g.createLinearGradient(x0, 0, x0 + w, 0);
    grad.addColorStop(0, '#2f8f5b');
    grad.addColorStop((FLOOR_DB + 12) / FLOOR_DB, '#53d18b');
    grad.addColorStop((FLOOR_DB + 6) / FLOOR_DB, '#ffb347');
    grad.addColorStop(1, '#ff5c5c');
    g.fillStyle = grad;
    g.fillRect(x0, y + 2, dbToX(ch.rms_dbfs, x0, w) - x0, rowH - 6);
    g.fillStyle = '#e4e6ea';
    g.fillRect(dbToX(ch.peak_dbfs, x0, w) - 1, y + 2, 2, rowH - 6);
    g.fillStyle = ch.clipped ? '#ff5c5c' : '#4fa3ff';
    g.fillRect(dbToX(h.db, x0, w) - 2, y, 3, rowH - 2);
    g.fillStyle = '#8a9099';
    g.fillText(ch.peak_dbfs.toFixed(1), x0 + w + 10, y + 12);
  });
  const yAxis = top + rows.length * rowH + 14;
  g.fillStyle = '#8a9099';
  for (let db = FLOOR_DB; db <= 0; db += 12) {
    const x = dbToX(db, x0, w);
    g.fillRect(x, yAxis - 12, 1, 4);
    g.fillText(String(db), x - 8, yAxis + 4);
  }
}
let meterFrame = 0;
function onLevels(lv) {
  dspd.lastLevels = lv;
  if (meterFrame) return;
  meterFrame = requestAnimationFrame(() => {
    meterFrame = 0;
    drawMeters(dspd.lastLevels);
    dspd.meterUpdates++;
  });
}

// ---- live data ----
function connectEvents() {
  const es = new EventSource('/events');
  es.addEventListener('levels', (ev) => onLevels(JSON.parse(ev.data)));
  es.addEventListener('status', (ev) => showStatus(JSON.parse(ev.data)));
  es.onerror = () => { $('state').textContent = 'reconnecting'; $('state').className = 'badge bad'; };
}

// ---- pipeline ----
let lastGeneration = null;
let selected = null;              // a block's name, or null: the whole pipeline
function blockText(b) {
  const ch = b.channels_in === b.channels_out ? b.channels_in + ' ch'
                                              : b.channels_in + '→' + b.channels_out + ' ch';
  return ch + (b.bypass ? ', bypassed' : '') + (b.latency_frames ? ', ' + b.latency_frames + ' frames latency' : '');
}
async function loadPipeline() {
  let p;
  try { p = await rpc('pipeline.list'); } catch (e) { say('pipeline.list: ' + e.message, true); return; }
  const ol = $('pipeline');
  ol.replaceChildren();
  if (selected && !p.blocks.some((b) => b.name === selected)) selected = null;
  for (const b of p.blocks) {
    const li = document.createElement('li');
    const name = document.createElement('strong');
    const type = document.createElement('span');
    name.textContent = b.name + ' ';
    type.className = 'type';
    type.textContent = b.type + ', ' + blockText(b);
    li.append(name, type);
    li.dataset.name = b.name;
    if (b.name === selected) li.className = 'selected';
    li.addEventListener('click', () => {
      selected = selected === b.name ? null : b.name;
      for (const o of ol.children) o.className = o.dataset.name === selected ? 'selected' : '';
      loadResponse();
    });
    ol.append(li);
  }
  loadResponse();
}

// ---- the response plot: magnitude in dB over log frequency ----
const COLORS = ['#4fa3ff', '#ff8c42', '#53d18b', '#e05cff', '#ffd84f', '#5ce1e6', '#ff5c8a', '#b0b7c3'];
const PLOT_POINTS = 256;
async function loadResponse() {
  const params = { points: PLOT_POINTS };
  if (selected) params.block = selected;
  $('response-title').textContent = selected ? '(block ' + selected + ')' : '(whole pipeline)';
  let r;
  try {
    r = await rpc('pipeline.response', params);
  } catch (e) {
    dspd.responseError = e.code === -32601 ? 'this dspd has no pipeline.response' : e.message;
    dspd.plotData = null;
    $('response-note').textContent = dspd.responseError;
    drawResponse(null);
    return;
  }
  dspd.responseError = null;
  let curves = r.channels;
  if (selected) {
    const b = (r.blocks || []).find((x) => x.name === selected);
    curves = b ? b.channels : [];
  }
  const data = { block: selected, rate: r.rate, freqs: r.freqs,
                 channels: curves.map((c) => ({ channel: c.channel, db: c.db,
                                                phase_deg: c.phase_deg })) };
  const ld = r.level_dependent || [];
  $('response-note').textContent = ld.length ? 'shown at small signal: ' + ld.join(', ') : '';
  drawResponse(data);
}
// Draws data and returns it as window.dspd.plotData (null: nothing).
function drawResponse(data) {
  const c = $('response');
  const g = c.getContext('2d');
  const L = 52, R = 44, T = 12, B = 30, W = c.width - L - R, H = c.height - T - B;
  g.fillStyle = '#101215';
  g.fillRect(0, 0, c.width, c.height);
  dspd.plotData = data;
  if (!data || !data.freqs || data.freqs.length < 2) {
    g.fillStyle = '#8a9099';
    g.font = '14px system-ui, sans-serif';
    g.fillText(dspd.responseError || 'no response', L + 10, T + 24);
    return null;
  }
  const f0 = data.freqs[0], f1 = data.freqs[data.freqs.length - 1];
  let lo = Infinity, hi = -Infinity;
  for (const ch of data.channels)
    for (const v of ch.db) if (v !== null && isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  if (!isFinite(lo)) { lo = -12; hi = 12; }
  lo = Math.max(lo, hi - 100);                  // a null's depth would squash the rest
  lo = Math.floor(Math.min(lo, -6) / 6) * 6;
  hi = Math.ceil(Math.max(hi, 6) / 6) * 6;
  const lx0 = Math.log10(f0), lx1 = Math.log10(f1);
  const X = (f) => L + W * (Math.log10(f) - lx0) / (lx1 - lx0);
  const Y = (db) => T + H * (hi - db) / (hi - lo);
  g.font = '11px system-ui, sans-serif';
  g.lineWidth = 1;
  const step = (hi - lo) > 48 ? 12 : 6;
  for (let db = lo; db <= hi; db += step) {
    g.strokeStyle = db === 0 ? '#4a505a' : '#262a31';
    g.beginPath(); g.moveTo(L, Y(db)); g.lineTo(L + W, Y(db)); g.stroke();
    g.fillStyle = '#8a9099';
    g.fillText(db + ' dB', 4, Y(db) + 4);
  }
  for (let dec = Math.pow(10, Math.floor(lx0)); dec <= f1; dec *= 10)
    for (let m = 1; m < 10; m++) {
      const f = dec * m;
      if (f < f0 || f > f1) continue;
      g.strokeStyle = m === 1 ? '#3a3f47' : '#1f2329';
      g.beginPath(); g.moveTo(X(f), T); g.lineTo(X(f), T + H); g.stroke();
      if (m === 1 || m === 2 || m === 5) {
        g.fillStyle = '#8a9099';
        g.fillText(f >= 1000 ? f / 1000 + 'k' : String(f), X(f) - 8, T + H + 16);
      }
    }
  if ($('show-phase').checked) drawPhase(g, data, X, T, H, L + W);
  data.channels.forEach((ch, i) => {
    g.strokeStyle = COLORS[i % COLORS.length];
    g.lineWidth = 2;
    g.beginPath();
    let pen = false;
    ch.db.forEach((v, k) => {
      if (v === null || !isFinite(v)) { pen = false; return; }
      const y = Y(Math.max(lo, Math.min(hi, v)));
      if (pen) g.lineTo(X(data.freqs[k]), y); else g.moveTo(X(data.freqs[k]), y);
      pen = true;
    });
    g.stroke();
    g.fillStyle = COLORS[i % COLORS.length];
    g.fillText('ch ' + ch.channel, L + W - 50, T + 14 + 14 * i);
  });
  return data;
}
// Phase in degrees, -180..180 on the right axis, dashed; a wrap is not
// joined.
function drawPhase(g, data, X, T, H, right) {
  const Y = (deg) => T + H * (180 - deg) / 360;
  g.fillStyle = '#8a9099';
  for (let deg = -180; deg <= 180; deg += 90) g.fillText(deg + '°', right + 4, Y(deg) + 4);
  g.setLineDash([4, 3]);
  g.lineWidth = 1;
  data.channels.forEach((ch, i) => {
    if (!ch.phase_deg) return;
    g.strokeStyle = COLORS[i % COLORS.length];
    g.beginPath();
    let last = null;
    ch.phase_deg.forEach((v, k) => {
      if (v === null || !isFinite(v)) { last = null; return; }
      const x = X(data.freqs[k]), y = Y(v);
      if (last !== null && Math.abs(v - last) < 180) g.lineTo(x, y); else g.moveTo(x, y);
      last = v;
    });
    g.stroke();
  });
  g.setLineDash([]);
}
dspd.drawResponse = drawResponse;

takeTokenFromFragment();
window.addEventListener('hashchange', () => { takeTokenFromFragment(); enableControls(); });
setupControls();
enableControls();
connectEvents();
loadPipeline();
