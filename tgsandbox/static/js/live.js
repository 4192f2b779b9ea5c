// Sharing a live location from the page, as Telegram's apps do: start it for 15 min / 1 h / 8 h,
// move it by clicking points on the map or by replaying a track file, stop it. Each move is an
// edit of the same message: the bot receives an edited_message.

import { api } from "./api.js";
import { esc } from "./format.js";
import { clickedPoint, loadMap, mapSvg, pin, project } from "./map.js";

export const FOREVER = 0x7fffffff;
const $ = (id) => document.getElementById(id);
let ctx = null; // {state, upsert(message, isEdit), rerender(), toast, fail}
let live = null; // {userId, chatId, messageId, date, period, path: [[lat, lon]]}
let track = null; // {points: [{lat, lon, t}], timed, name}
let replay = null; // {timer, i}

/** Whether a message is a live location that can still move at ``now`` (seconds). */
export function isActiveLive(m, now = Date.now() / 1000) {
  const period = m?.location?.live_period;
  if (!period || m.venue) return false;
  return period === FOREVER || now < m.date + period;
}

/** A stopped live location: users' plain locations are never edited, live ones are. */
export const isEndedLive = (m) => !!(m?.location && !m.venue && (m.edit_date || m.location.live_period)
  && !isActiveLive(m));

export function remainingText(m, now = Date.now() / 1000) {
  const period = m.location.live_period;
  if (period === FOREVER) return "直到手动停止";
  const left = Math.max(0, Math.round(m.date + period - now));
  const h = Math.floor(left / 3600), min = Math.floor((left % 3600) / 60), sec = left % 60;
  if (h) return `剩余 ${h} 小时 ${min} 分`;
  return `剩余 ${min} 分 ${String(sec).padStart(2, "0")} 秒`;
}

export function setupLive(context) {
  ctx = context;
  $("live-close").onclick = () => { $("live-modal").hidden = true; };
  $("live-stop").onclick = () => stopLive().catch(ctx.fail);
  $("live-bar-stop").onclick = () => stopLive().catch(ctx.fail);
  $("live-bar-map").onclick = () => openLiveMap().catch(ctx.fail);
  $("track-input").onchange = (ev) => {
    const file = ev.target.files[0];
    if (file) loadTrack(file).catch(ctx.fail).finally(() => { ev.target.value = ""; });
  };
  $("replay-btn").onclick = () => (replay ? pauseReplay() : startReplay());  // stop, or start from the first point
  setInterval(() => { renderBar(); tickBubbles(); }, 1000);
}

/** Forget the live location of another person (the page switched identity). */
export function resetLive() {
  pauseReplay();
  live = null;
  $("live-modal").hidden = true;
  renderBar();
}

/** After a chat's messages were loaded: pick up a live location this person still shares. */
export function restoreLive(messages, me) {
  if (live && live.userId === me) return;
  const m = [...messages].reverse().find((x) => x.from?.id === me && isActiveLive(x));
  if (m) live = { userId: me, chatId: m.chat.id, messageId: m.message_id, date: m.date,
    period: m.location.live_period, path: [[m.location.latitude, m.location.longitude]] };
  renderBar();
}

export async function startLive(sel, period) {
  const S = ctx.state;
  if (live && isActiveLive(current())) await stopLive();
  const m = await api("live", { body: {
    user_id: S.me, chat_id: S.current, latitude: sel.lat, longitude: sel.lon, live_period: period,
  } });
  ctx.upsert(m, false);
  live = { userId: S.me, chatId: m.chat.id, messageId: m.message_id, date: m.date, period,
    path: [[sel.lat, sel.lon]] };
  ctx.rerender();
  renderBar();
  await openLiveMap();
}

async function moveTo(lat, lon) {
  if (!live) return;
  const S = ctx.state;
  const m = await api("live/move", { body: {
    user_id: live.userId, chat_id: live.chatId, message_id: live.messageId, latitude: lat, longitude: lon,
  } });
  ctx.upsert(m, true);
  live.path.push([lat, lon]);
  if (live.chatId === S.current) ctx.rerender();
  renderLiveMap();
}

export async function stopLive() {
  if (!live) return;
  pauseReplay();
  const was = live;
  live = null;
  renderBar();
  $("live-modal").hidden = true;
  try {
    const m = await api("live/stop", { body: { user_id: was.userId, chat_id: was.chatId, message_id: was.messageId } });
    ctx.upsert(m, true);
    ctx.rerender();
    ctx.toast("已停止共享实时位置");
  } catch (e) {
    if (e.status !== 409) { live = was; renderBar(); throw e; }
    ctx.toast("实时位置已结束"); // expired in the meantime: nothing left to stop
  }
}

function current() {
  return live && ctx.state.messages.get(live.chatId)?.get(live.messageId);
}

// ------------------------------------------------------------------ the bar above the chat

function renderBar() {
  const bar = $("live-bar");
  const m = current();
  if (live && m && !isActiveLive(m)) { // the live period ran out
    pauseReplay();
    live = null;
    $("live-modal").hidden = true;
    ctx.rerender();
  }
  bar.hidden = !live;
  if (!live) return;
  const chat = ctx.state.chats.find((c) => c.id === live.chatId);
  const where = live.chatId === ctx.state.current ? "" : `（${chat?.title || "其他会话"}）`;
  const left = m ? remainingText(m) : "";
  $("live-bar-text").textContent = `正在共享实时位置${where} · ${left}`;
  const status = $("live-status");
  if (status && !$("live-modal").hidden) status.textContent = left;
}

// Live locations in the chat count down; one whose period ran out is drawn again as ended.
function tickBubbles() {
  let ended = false;
  for (const el of document.querySelectorAll("#messages [data-live-date]")) {
    const m = { date: Number(el.dataset.liveDate), location: { live_period: Number(el.dataset.livePeriod) } };
    if (isActiveLive(m)) el.textContent = `实时位置 · ${remainingText(m)}`;
    else ended = true;
  }
  if (ended) ctx.rerender();
}

// ------------------------------------------------------------------ the map to walk on

export async function openLiveMap() {
  if (!live) return;
  await loadMap();
  $("live-modal").hidden = false;
  renderLiveMap();
  renderBar();
}

function renderLiveMap() {
  if (!live || $("live-modal").hidden) return;
  const pts = live.path.map(([lat, lon]) => project(lon, lat));
  const line = pts.length > 1
    ? `<polyline class="live-path" points="${pts.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(" ")}"/>` : "";
  const steps = pts.slice(0, -1).map(([x, y]) => `<circle class="live-step" cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="4"/>`).join("");
  const planned = track ? `<polyline class="track-path" points="${track.points.map((p) => project(p.lon, p.lat).map((v) => v.toFixed(1)).join(",")).join(" ")}"/>` : "";
  const [x, y] = pts[pts.length - 1];
  const canvas = $("live-canvas");
  canvas.innerHTML = mapSvg(planned + line + steps + pin(x, y, 1.3), followView(canvas, x, y));
  canvas.querySelector("svg").addEventListener("click", (ev) => {
    if (replay) return ctx.toast("正在回放轨迹，请先停止回放");
    const [lat, lon] = clickedPoint(canvas.querySelector("svg"), ev);
    moveTo(lat, lon).catch(onMoveError);
  });
  const [lat, lon] = live.path[live.path.length - 1];
  $("live-position").innerHTML = `当前位置 <b>${lat.toFixed(5)}, ${lon.toFixed(5)}</b> · 已移动 ${live.path.length - 1} 次`;
}

// On a narrow (phone) canvas the map follows the person, zoomed in, as a phone's map does;
// a wide canvas shows the whole county.
function followView(canvas, x, y) {
  const cw = canvas.clientWidth, ch = canvas.clientHeight;
  if (!cw || !ch || cw >= 600) return undefined;
  const w = 420, h = (w * ch) / cw;
  return `${(x - w / 2).toFixed(1)} ${(y - h / 2).toFixed(1)} ${w} ${h.toFixed(1)}`;
}

function onMoveError(e) {
  pauseReplay();
  if (e.status === 409) {
    live = null;
    $("live-modal").hidden = true;
    renderBar();
    ctx.toast("实时位置已结束，无法继续移动", 4000);
    return;
  }
  ctx.fail(e);
}

// ------------------------------------------------------------------ replaying a track

async function loadTrack(file) {
  pauseReplay();
  const form = new FormData();
  form.append("track", file, file.name);
  const parsed = await api("tracks", { form });
  track = { ...parsed, name: file.name };
  const how = parsed.timed ? `时长 ${Math.round(parsed.duration)} 秒` : "无时间，每 5 秒一点";
  $("track-info").innerHTML = `${esc(file.name)}：${parsed.points.length} 个点，${how}`;
  $("replay-btn").disabled = false;
  $("replay-btn").textContent = "开始回放";
  renderLiveMap();
}

function startReplay() {
  if (!track || !live) return;
  replay = { i: 0, timer: null };
  $("replay-btn").textContent = "停止回放";
  step();
}

function step() {
  if (!replay || !track || !live) return;
  const { points } = track;
  if (replay.i >= points.length) { pauseReplay(); ctx.toast("轨迹回放完成"); return; }
  const p = points[replay.i];
  const prev = points[replay.i - 1];
  const speed = Number($("replay-speed").value) || 1;
  const gap = replay.i === 0 ? 0 : (track.timed ? p.t - prev.t : 5) / speed;
  replay.timer = setTimeout(async () => {
    if (!replay) return;
    try {
      await moveTo(p.lat, p.lon);
      replay.i += 1;
      $("track-info").textContent = `回放中：第 ${replay.i} / ${points.length} 个点`;
      step();
    } catch (e) { onMoveError(e); }
  }, Math.max(0, gap * 1000));
}

function pauseReplay() {
  if (replay?.timer) clearTimeout(replay.timer);
  replay = null;
  const btn = $("replay-btn");
  if (btn) btn.textContent = "开始回放";
}
