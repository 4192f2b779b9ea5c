// The sandbox chat page: one person plays residents, grid workers and unit groups.

import { api } from "./api.js";
import { avatarHtml, esc, fullName, previewOf, ROLE_NAMES, shortTime } from "./format.js";
import { openLiveMap, resetLive, restoreLive, setupLive, startLive, stopLive } from "./live.js";
import { loadMap, openPicker, setupPicker } from "./map.js";
import { renderMessages } from "./messages.js";
import { setupPanel, refreshPanel } from "./panel.js";

const $ = (id) => document.getElementById(id);
const PIN_ICON = '<svg class="pin" viewBox="0 0 24 24"><path d="M12 21s-7-6.2-7-11.5a7 7 0 0 1 14 0C19 14.8 12 21 12 21z" fill="currentColor"/><circle cx="12" cy="9.5" r="2.6" fill="#fff"/></svg>';
const S = {
  bot: null, users: new Map(), me: null, chats: [], current: null,
  messages: new Map(), unread: new Map(), seq: 0, poll: null,
  replyTo: null, kbHidden: new Set(), pending: new Map(), typing: null, online: false,
};
window.sandbox = S; // for debugging and tests

const chatById = (id) => S.chats.find((c) => c.id === id);
const currentChat = () => chatById(S.current);

// ------------------------------------------------------------------ toasts and dialogs

let toastTimer = null;
export function toast(text, ms = 2600) {
  const el = $("toast");
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, ms);
}
function alertDialog(title, text) {
  $("alert-title").textContent = title;
  $("alert-text").textContent = text;
  $("dialog-backdrop").hidden = false;
  $("alert-ok").focus();
}
const fail = (e) => toast(`操作失败：${e.message}`, 4000);

// ------------------------------------------------------------------ identity

function userLabel(u) {
  const roles = (u.roles || []).map((r) => ROLE_NAMES[r] || r).join("、");
  return [roles, u.label].filter(Boolean).join(" · ");
}

function fillUserSelect() {
  const groups = new Map();
  for (const u of S.users.values()) {
    const role = ROLE_NAMES[(u.roles || [])[0]] || "其他用户";
    if (!groups.has(role)) groups.set(role, []);
    groups.get(role).push(u);
  }
  $("user-select").innerHTML = [...groups].map(([role, list]) =>
    `<optgroup label="${esc(role)}">${list.map((u) =>
      `<option value="${u.id}">${esc(u.name)}${u.label ? `（${esc(u.label)}）` : ""}</option>`).join("")}</optgroup>`).join("");
}

async function selectUser(id, preferChat) {
  if (S.poll) S.poll.abort();
  resetLive();
  S.me = id;
  S.messages.clear();
  S.unread.clear();
  S.replyTo = null;
  localStorage.setItem("sandbox.user", String(id));
  const u = S.users.get(id);
  $("user-select").value = String(id);
  $("me-avatar").outerHTML = avatarHtml("user", id, u?.name).replace('class="avatar"', 'class="avatar" id="me-avatar"');
  $("me-meta").textContent = u ? `${userLabel(u) || "用户"} · ID ${id}` : "";
  S.seq = (await api("events", { params: { since: -1 } })).seq;
  await refreshChats();
  const target = chatById(preferChat) ? preferChat : id;
  await openChat(target);
  poll(id);
}

// ------------------------------------------------------------------ chat list

async function refreshChats() {
  S.chats = await api("chats", { params: { user_id: S.me } });
  renderChatList();
  if (S.current !== null && !chatById(S.current)) {
    const gone = S.chats.find((c) => c.migrated_from === S.current);
    await openChat(gone ? gone.id : S.me);
  }
}

function renderChatList() {
  $("chat-list").innerHTML = S.chats.map((c) => {
    const isBot = c.type === "private";
    const last = c.last_message;
    let preview = previewOf(last);
    if (last && c.type !== "private" && !last.new_chat_members && !last.left_chat_member && !last.migrate_from_chat_id) {
      const who = last.from?.id === S.me ? "我" : last.from?.is_bot ? S.bot.first_name : fullName(last.from);
      preview = `${who}：${preview}`;
    }
    if (!last) preview = isBot ? "点击开始与机器人对话" : "暂无消息";
    const unread = S.unread.get(c.id) || 0;
    const tag = isBot ? '<span class="tag">机器人</span>' : c.type === "supergroup" ? "" : '<span class="tag">群</span>';
    return `<li class="chat-item${c.id === S.current ? " active" : ""}" data-chat-id="${c.id}">`
      + avatarHtml(isBot ? "bot" : "group", c.id, c.title)
      + `<div class="chat-info"><div class="chat-line"><span class="chat-name">${esc(c.title)}</span>${tag}<span class="chat-time">${shortTime(last?.date)}</span></div>`
      + `<div class="chat-line"><span class="chat-preview">${esc(preview)}</span>${unread ? `<span class="badge">${unread}</span>` : ""}</div></div></li>`;
  }).join("");
}

// ------------------------------------------------------------------ one chat

async function openChat(id) {
  S.current = id;
  S.unread.delete(id);
  S.replyTo = null;
  const chat = currentChat();
  if (chat && !S.messages.has(id)) {
    const data = await api(`chats/${id}/messages`, { params: { limit: 400 } });
    S.messages.set(id, new Map(data.messages.map((m) => [m.message_id, m])));
  }
  restoreLive(S.messages.get(id)?.values() || [], S.me);
  document.body.classList.remove("list-open");
  const url = new URL(location.href);
  url.searchParams.set("user", S.me);
  url.searchParams.set("chat", id);
  history.replaceState(null, "", url);
  renderChatList();
  renderHeader();
  renderChat(true);
  renderComposer();
}

function renderHeader() {
  const c = currentChat();
  if (!c) return;
  const isBot = c.type === "private";
  $("chat-avatar").outerHTML = avatarHtml(isBot ? "bot" : "group", c.id, c.title).replace('class="avatar"', 'class="avatar" id="chat-avatar"');
  $("chat-title").textContent = c.title;
  const sub = $("chat-subtitle");
  sub.classList.toggle("typing", !!S.typing);
  if (S.typing) { sub.textContent = S.typing; return; }
  if (isBot) sub.textContent = S.online ? "机器人 · 在线" : "机器人 · 未连接（请启动机器人）";
  else sub.textContent = `${c.members.length + (c.bot_member ? 1 : 0)} 位成员${c.type === "supergroup" ? " · 超级群" : " · 普通群"}${c.bot_member ? "" : " · 机器人不在群内"}`;
}

function renderChat(scrollBottom = false, flashIds = []) {
  const box = $("messages");
  const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 120;
  const msgs = [...(S.messages.get(S.current)?.values() || [])].sort((a, b) => a.message_id - b.message_id);
  const c = currentChat();
  const emptyText = c?.type === "private"
    ? `这是你与「${esc(S.bot.first_name)}」的对话。<br>点击下方「开始」或直接发送文字、照片、位置。`
    : "群里还没有消息";
  renderMessages(box, msgs, { me: S.me, bot: S.bot, pending: new Set(S.pending.values()), emptyText });
  for (const id of flashIds) {
    box.querySelector(`.msg-row[data-ids~="${id}"], .msg-row[data-message-id="${id}"]`)?.classList.add("edited-flash");
  }
  if (scrollBottom || nearBottom) box.scrollTop = box.scrollHeight;
}

// A narrower or shorter chat (a phone turned, its keyboard opening) stays at its end when the
// person was reading the end, as Telegram's apps do.
function keepEndInView() {
  const box = $("messages");
  let atEnd = true;
  box.addEventListener("scroll", () => { atEnd = box.scrollHeight - box.scrollTop - box.clientHeight < 120; });
  new ResizeObserver(() => { if (atEnd) box.scrollTop = box.scrollHeight; }).observe(box);
}

function renderComposer() {
  const c = currentChat();
  const me = S.users.get(S.me);
  const isPrivate = c?.type === "private";
  const notStarted = isPrivate && !c.started && !(S.messages.get(c.id)?.size);
  const blocked = isPrivate && c.blocked;
  const closed = c && !isPrivate && (c.deleted || c.migrated_to);
  $("start-bar").hidden = !notStarted || blocked;
  $("blocked-bar").hidden = !blocked;
  $("closed-bar").hidden = !closed;
  $("closed-bar").textContent = c?.deleted ? "该群已解散" : "该群已升级为超级群";
  $("composer").hidden = notStarted || blocked || closed || me?.deactivated;
  $("commands-btn").hidden = !(c?.commands || []).length;
  fillCommands(c);
  if (c?.force_reply && !S.replyTo) S.replyTo = c.force_reply.message_id;
  renderReplyBanner();
  const kb = c?.keyboard;
  $("keyboard-btn").hidden = !kb;
  const showKb = kb && !S.kbHidden.has(c.id) && !$("composer").hidden;
  $("keyboard-btn").classList.toggle("on", !!showKb);
  $("reply-keyboard").hidden = !showKb;
  $("composer-input").placeholder = c?.force_reply?.placeholder || kb?.input_field_placeholder || "输入消息…";
  if (showKb) {
    $("reply-keyboard").innerHTML = kb.keyboard.map((row) => `<div class="rk-row">${row.map((b) =>
      `<button class="rk-btn" data-text="${esc(b.text)}" data-location="${b.request_location ? 1 : ""}" data-contact="${b.request_contact ? 1 : ""}">${b.request_location ? PIN_ICON : ""}${esc(b.text)}</button>`).join("")}</div>`).join("");
  }
}

// The "/" menu: the commands set for this chat's scope (chat, all private/group chats, default),
// all of them from the menu button, those matching what is typed after "/" in the composer.
function fillCommands(c, prefix = "") {
  const cmds = (c?.commands || []).filter((x) => x.command.startsWith(prefix));
  $("commands-menu").innerHTML = cmds.map((x) =>
    `<button data-command="/${esc(x.command)}"><span class="cmd">/${esc(x.command)}</span><span class="desc">${esc(x.description)}</span></button>`).join("");
  return cmds.length;
}

function slashMenu() {
  const text = $("composer-input").value;
  const typing = /^\/\w*$/.test(text);
  const shown = typing && fillCommands(currentChat(), text.slice(1));
  $("commands-menu").hidden = !shown;
  if (!typing) fillCommands(currentChat());
}

function renderReplyBanner() {
  const banner = $("reply-banner");
  const m = S.replyTo && S.messages.get(S.current)?.get(S.replyTo);
  banner.hidden = !m;
  if (!m) return;
  banner.querySelector(".reply-name").textContent = `回复 ${m.from?.is_bot ? S.bot.first_name : fullName(m.from)}`;
  banner.querySelector(".reply-text").textContent = previewOf(m);
}

// ------------------------------------------------------------------ events

function upsert(m, isEdit = false) {
  const chatId = m.chat.id;
  if (S.messages.has(chatId)) S.messages.get(chatId).set(m.message_id, m);
  const c = chatById(chatId);
  if (c && (!c.last_message || c.last_message.message_id <= m.message_id)) c.last_message = m;
  if (!isEdit && chatId !== S.current && m.from?.id !== S.me) S.unread.set(chatId, (S.unread.get(chatId) || 0) + 1);
}

async function handle(events) {
  let rerender = false, refresh = false;
  const flash = [];
  for (const ev of events) {
    if (ev.type === "message" || ev.type === "edit") {
      upsert(ev.message, ev.type === "edit");
      if (ev.chat_id === S.current) {
        rerender = true;
        if (ev.type === "edit") flash.push(ev.message.message_id);
        if (ev.message.from?.is_bot) setTyping(null);
      }
    } else if (ev.type === "delete") {
      S.messages.get(ev.chat_id)?.delete(ev.message_id);
      if (ev.chat_id === S.current) rerender = true;
      refresh = true;
    } else if (ev.type === "keyboard") {
      const c = chatById(ev.chat_id);
      if (c) { c.keyboard = ev.keyboard; c.force_reply = ev.force_reply; }
      if (ev.keyboard) S.kbHidden.delete(ev.chat_id);
      if (ev.chat_id === S.current) { if (!ev.force_reply) S.replyTo = null; renderComposer(); }
    } else if (ev.type === "action") {
      if (ev.chat_id === S.current) setTyping(ev.action);
    } else if (ev.type === "callback_answer") {
      for (const [qid, key] of S.pending) if (qid === ev.callback_query_id) S.pending.delete(qid);
      rerender = true;
      if (ev.text) ev.show_alert ? alertDialog(S.bot.first_name, ev.text) : toast(ev.text);
      if (ev.url) toast(`机器人请求打开链接：${ev.url}`, 5000);
    } else if (ev.type === "chat" || ev.type === "commands") {
      refresh = true;
    } else if (ev.type === "reset") {
      return selectUser(S.me, S.current);
    }
  }
  if (refresh) await refreshChats();
  else renderChatList();
  if (rerender) renderChat(false, flash);
  if (refresh) { renderHeader(); renderComposer(); }
}

const ACTION_TEXT = {
  typing: "正在输入…", upload_photo: "正在发送照片…", find_location: "正在选择位置…",
  upload_document: "正在发送文件…", record_voice: "正在录音…",
};
function setTyping(action) {
  clearTimeout(S.typingTimer);
  S.typing = action ? ACTION_TEXT[action] || "正在处理…" : null;
  if (action) S.typingTimer = setTimeout(() => setTyping(null), 5000);
  renderHeader();
}

async function poll(userId) {
  const ctl = new AbortController();
  S.poll = ctl;
  while (!ctl.signal.aborted && S.me === userId) {
    try {
      const r = await api("events", { params: { since: S.seq, user_id: userId, timeout: 25 }, signal: ctl.signal });
      if (ctl.signal.aborted) return;
      setOnline(r.bot_online);
      if (r.reset) { S.seq = r.seq; await selectUser(userId, S.current); return; }
      S.seq = r.seq;
      if (r.events.length) await handle(r.events);
    } catch (e) {
      if (ctl.signal.aborted) return;
      await new Promise((res) => setTimeout(res, 1000));
    }
  }
}

function setOnline(online) {
  if (online === S.online) return;
  S.online = online;
  const dot = $("bot-status");
  dot.className = `status-dot ${online ? "online" : "offline"}`;
  dot.title = online ? "机器人在线" : "机器人未连接";
  renderHeader();
}
setInterval(async () => {
  try { setOnline((await api("events", { params: { since: -1 } })).bot_online); } catch (e) { /* offline */ }
}, 4000);

// ------------------------------------------------------------------ acting

// A text over 4096 characters goes as several messages in order, as Telegram's apps send it.
async function sendText(text) {
  const body = { user_id: S.me, chat_id: S.current, text, reply_to_message_id: S.replyTo, split: true };
  const sent = await api("messages", { body });
  S.replyTo = null;
  sent.forEach((m) => upsert(m));
  if (sent.length > 1) toast(`消息超过 4096 字，已分成 ${sent.length} 条依次发送`);
  renderReplyBanner();
  renderChat(true);
  const c = currentChat();
  if (c?.type === "private" && !c.started) { c.started = true; renderComposer(); }
}

async function sendFromComposer() {
  const input = $("composer-input");
  const text = input.value;
  if (!text.trim()) return;
  input.value = "";
  autoGrow();
  try { await sendText(text); } catch (e) { input.value = text; fail(e); }
}

async function sendPhotos(files) {
  if (!files.length) return;
  if (files.length > 10) return toast("一次最多发送 10 张照片");
  const form = new FormData();
  form.append("user_id", S.me);
  form.append("chat_id", S.current);
  const caption = $("composer-input").value.trim();
  if (caption) form.append("caption", caption);
  if (S.replyTo) form.append("reply_to_message_id", S.replyTo);
  [...files].forEach((f, i) => form.append(`photo${i}`, f, f.name));
  const msgs = await api("photos", { form });
  $("composer-input").value = "";
  S.replyTo = null;
  msgs.forEach((m) => upsert(m));
  renderReplyBanner();
  renderChat(true);
}

async function sendDocument(file) {
  const form = new FormData();
  form.append("user_id", S.me);
  form.append("chat_id", S.current);
  form.append("kind", "document");
  form.append("file", file, file.name);
  upsert(await api("media", { form }));
  renderChat(true);
}

async function sendLocation(sel) {
  const m = await api("locations", { body: {
    user_id: S.me, chat_id: S.current, latitude: sel.lat, longitude: sel.lon, title: sel.title, address: sel.address,
  } });
  upsert(m);
  renderChat(true);
}

async function press(btn) {
  const kind = btn.dataset.kind;
  if (kind === "url") { window.open(btn.dataset.url, "_blank", "noopener"); return; }
  if (kind !== "callback") { toast("沙盒不支持此类按钮"); return; }
  const mid = Number(btn.dataset.mid);
  const data = btn.dataset.data;
  const key = `${S.current}:${mid}:${data}`;
  btn.classList.add("loading");
  try {
    const r = await api("press", { body: { user_id: S.me, chat_id: S.current, message_id: mid, callback_data: data } });
    S.pending.set(r.callback_query_id, key);
    setTimeout(() => { if (S.pending.delete(r.callback_query_id)) renderChat(); }, 15000);
  } catch (e) {
    btn.classList.remove("loading");
    fail(e);
  }
}

async function pressReplyKey(btn) {
  const c = currentChat();
  if (c.keyboard?.one_time_keyboard) S.kbHidden.add(c.id);
  if (btn.dataset.location) {
    openPicker({ title: "分享你的位置", venues: false, onSelect: (sel) => sendLocation(sel).catch(fail) });
    return;
  }
  if (btn.dataset.contact) {
    upsert(await api("contacts", { body: { user_id: S.me, chat_id: S.current } }));
    renderChat(true);
    return;
  }
  await sendText(btn.dataset.text);
  renderComposer();
}

function autoGrow() {
  const el = $("composer-input");
  el.style.height = "auto";
  el.style.height = `${Math.min(el.scrollHeight, 160)}px`;
}

// ------------------------------------------------------------------ wiring

function wire() {
  $("user-select").onchange = (ev) => selectUser(Number(ev.target.value)).catch(fail);
  $("chat-list").onclick = (ev) => {
    const li = ev.target.closest("[data-chat-id]");
    if (li) openChat(Number(li.dataset.chatId)).catch(fail);
  };
  $("send-btn").onclick = () => sendFromComposer();
  const input = $("composer-input");
  input.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing && ev.keyCode !== 229) {
      ev.preventDefault();
      sendFromComposer();
    }
  });
  input.addEventListener("input", () => { autoGrow(); slashMenu(); });
  $("messages").addEventListener("click", (ev) => {
    const btn = ev.target.closest(".ikb-btn");
    if (btn) return press(btn);
    const cmd = ev.target.closest("[data-command]");
    if (cmd) return sendText(cmd.dataset.command).catch(fail);
    if (ev.target.closest("[data-live-map]")) return openLiveMap().catch(fail);
    if (ev.target.closest("[data-live-stop]")) return stopLive().catch(fail);
    const img = ev.target.closest("img[data-full]");
    if (img) { $("lightbox").querySelector("img").src = img.dataset.full; $("lightbox").hidden = false; return; }
    const spoiler = ev.target.closest(".spoiler");
    if (spoiler) return spoiler.classList.add("shown");
    const reply = ev.target.closest("[data-reply]");
    if (reply) { S.replyTo = Number(reply.dataset.reply); renderReplyBanner(); input.focus(); return; }
    const jump = ev.target.closest("[data-jump]");
    if (jump) {
      const row = $("messages").querySelector(`.msg-row[data-ids~="${jump.dataset.jump}"]`);
      if (row) { row.scrollIntoView({ block: "center", behavior: "smooth" }); row.classList.remove("flash"); void row.offsetWidth; row.classList.add("flash"); }
    }
  });
  $("reply-cancel").onclick = () => { S.replyTo = null; renderReplyBanner(); };
  $("lightbox").onclick = () => { $("lightbox").hidden = true; };
  $("alert-ok").onclick = () => { $("dialog-backdrop").hidden = true; };
  $("attach-btn").onclick = (ev) => { ev.stopPropagation(); $("attach-menu").hidden = !$("attach-menu").hidden; $("commands-menu").hidden = true; };
  $("commands-btn").onclick = (ev) => { ev.stopPropagation(); $("commands-menu").hidden = !$("commands-menu").hidden; $("attach-menu").hidden = true; };
  document.addEventListener("click", () => { $("attach-menu").hidden = true; $("commands-menu").hidden = true; });
  $("commands-menu").onclick = (ev) => {
    const b = ev.target.closest("[data-command]");
    if (!b) return;
    if ($("composer-input").value.startsWith("/")) { $("composer-input").value = ""; autoGrow(); }
    sendText(b.dataset.command).catch(fail);
  };
  $("attach-menu").onclick = async (ev) => {
    const kind = ev.target.closest("[data-attach]")?.dataset.attach;
    if (!kind) return;
    if (kind === "photo") return $("photo-input").click();
    if (kind === "document") return $("file-input").click();
    try {
      const path = kind === "contact" ? "contacts" : "media";
      upsert(await api(path, { body: { user_id: S.me, chat_id: S.current, kind } }));
      renderChat(true);
    } catch (e) { fail(e); }
  };
  $("photo-input").onchange = (ev) => { sendPhotos(ev.target.files).catch(fail).finally(() => { ev.target.value = ""; }); };
  $("file-input").onchange = (ev) => { const f = ev.target.files[0]; if (f) sendDocument(f).catch(fail).finally(() => { ev.target.value = ""; }); };
  $("location-btn").onclick = () => openPicker({
    title: "发送位置", onSelect: (sel) => sendLocation(sel).catch(fail),
    onLiveStart: (sel, period) => startLive(sel, period).catch(fail),
  });
  $("back-btn").onclick = () => document.body.classList.add("list-open");
  $("keyboard-btn").onclick = () => {
    const id = S.current;
    S.kbHidden.has(id) ? S.kbHidden.delete(id) : S.kbHidden.add(id);
    renderComposer();
  };
  $("reply-keyboard").onclick = (ev) => { const b = ev.target.closest(".rk-btn"); if (b) pressReplyKey(b).catch(fail); };
  $("start-btn").onclick = () => sendText("/start").catch(fail);
  $("restart-btn").onclick = async () => {
    try {
      await api(`users/${S.me}/block`, { body: { blocked: false } });
      await refreshChats();
      await sendText("/start");
      renderComposer();
    } catch (e) { fail(e); }
  };
  keepEndInView();
  setupPicker();
  setupLive({ state: S, upsert, rerender: () => renderChat(), toast, fail });
  setupPanel({ state: S, toast, fail, refresh: async () => { await loadWorld(); await refreshChats(); renderHeader(); renderComposer(); } });
  $("panel-btn").onclick = () => { $("panel").hidden = !$("panel").hidden; if (!$("panel").hidden) refreshPanel(); };
}

async function loadWorld() {
  const world = await api("world");
  S.bot = world.bot;
  S.users = new Map(world.users.map((u) => [u.id, u]));
  setOnline(world.bot_online);
  $("brand-name").textContent = S.bot.first_name;
  document.title = `${S.bot.first_name} · 本地沙盒`;
  return world;
}

async function init() {
  wire();
  await loadWorld();
  fillUserSelect();
  if (!S.users.size) {
    $("messages").innerHTML = '<div class="empty-chat">沙盒里还没有用户。<br>请用 seed(users=…, groups=…) 或 POST /sandbox/api/seed 创建。</div>';
    return;
  }
  const params = new URLSearchParams(location.search);
  const wanted = Number(params.get("user") || localStorage.getItem("sandbox.user"));
  const first = [...S.users.values()].find((u) => (u.roles || []).includes("resident")) || S.users.values().next().value;
  const me = S.users.has(wanted) ? wanted : first.id;
  await selectUser(me, Number(params.get("chat")) || undefined);
  loadMap().then(() => renderChat()).catch(() => {});
}

init().catch(fail);
