// Rendering one chat's messages: bubbles, albums, locations, files, inline keyboards.

import { fileUrl } from "./api.js";
import { isActiveLive, isEndedLive, remainingText } from "./live.js";
import { describe, miniMap } from "./map.js";
import {
  avatarHtml, colorFor, dayOf, esc, fileSize, fullName, previewOf, renderEntities, serviceText, timeOf,
} from "./format.js";

const MAX_SHOWN = 400;
const EXT_ICON = '<svg class="ext" viewBox="0 0 12 12"><path d="M4 2h6v6M10 2L3 9" fill="none" stroke="currentColor" stroke-width="1.6"/></svg>';

function photoOf(m) {
  const sizes = m.photo || [];
  return sizes[sizes.length - 1];
}

function albumHtml(items) {
  const n = items.length;
  const cls = n === 1 ? "n1" : n === 2 ? "n2" : n === 3 ? "n3" : "many";
  const imgs = items.map((m) => {
    const p = photoOf(m);
    return `<img src="${fileUrl(p.file_id)}" alt="照片" loading="lazy" data-full="${fileUrl(p.file_id)}"${n === 1 && p.width ? ` style="aspect-ratio:${p.width}/${p.height}"` : ""}>`;
  }).join("");
  return `<div class="album ${cls}">${imgs}</div>`;
}

function locationHtml(m, out) {
  const loc = m.location;
  const { grid, place } = describe(loc.latitude, loc.longitude);
  let title = m.venue ? m.venue.title : (place && place.distance < 120 ? `${place.name}附近` : "位置");
  let sub = m.venue?.address || grid?.name || "";
  let cls = "loc", action = "", live = "";
  if (isActiveLive(m)) {
    cls += " live";
    title = `实时位置 · ${remainingText(m)}`;
    live = ` data-live-date="${m.date}" data-live-period="${loc.live_period}"`;
    if (out) action = '<button class="loc-action" data-live-map>地图</button><button class="loc-action danger" data-live-stop>停止共享</button>';
  } else if (isEndedLive(m)) {
    cls += " ended";
    title = "实时位置已结束";
  }
  return `<div class="${cls}">${miniMap(loc.latitude, loc.longitude)}<div class="loc-info"><div class="loc-title"${live}>${esc(title)}</div>`
    + `<div class="loc-sub">${esc(sub)}${sub ? " · " : ""}${loc.latitude.toFixed(5)}, ${loc.longitude.toFixed(5)}</div>${action ? `<div class="loc-actions">${action}</div>` : ""}</div></div>`;
}

function fileHtml(m) {
  const kinds = [
    ["document", "文件", (d) => d.file_name || "文件"], ["voice", "语音", (d) => `语音消息 ${d.duration || 0}″`],
    ["video", "视频", (d) => d.file_name || "视频"], ["audio", "音频", (d) => d.file_name || "音频"],
    ["animation", "GIF", (d) => "动图"], ["video_note", "圆视频", () => "视频消息"],
  ];
  for (const [key, badge, name] of kinds) {
    const d = m[key];
    if (!d) continue;
    return `<div class="file-row"><div class="file-icon">${esc(badge.slice(0, 2))}</div><div><div class="file-name">${esc(name(d))}</div><div class="file-sub">${esc(fileSize(d.file_size))}</div></div></div>`;
  }
  if (m.sticker) return `<div class="sticker" title="贴纸">${esc(m.sticker.emoji || "◆")}</div>`;
  if (m.contact) {
    return `<div class="file-row">${avatarHtml("user", m.contact.user_id || 0, m.contact.first_name, true)}<div><div class="file-name">${esc(m.contact.first_name)}</div><div class="file-sub">${esc(m.contact.phone_number)}</div></div></div>`;
  }
  return "";
}

function keyboardHtml(m, pending) {
  const rows = m.reply_markup?.inline_keyboard;
  if (!rows || !rows.length) return "";
  return `<div class="ikb">${rows.map((row) => `<div class="ikb-row">${row.map((b) => {
    const kind = b.callback_data !== undefined ? "callback" : b.url ? "url" : "other";
    const key = `${m.chat.id}:${m.message_id}:${b.callback_data ?? ""}`;
    const loading = kind === "callback" && pending.has(key) ? " loading" : "";
    const ext = kind === "url" ? EXT_ICON : "";
    return `<button class="ikb-btn${loading}" data-kind="${kind}" data-mid="${m.message_id}" data-data="${esc(b.callback_data ?? "")}" data-url="${esc(b.url || "")}">${esc(b.text)}${ext}</button>`;
  }).join("")}</div>`).join("")}</div>`;
}

function quoteHtml(r, ctx) {
  if (!r) return "";
  const name = r.from?.id === ctx.bot.id ? ctx.bot.first_name : fullName(r.from);
  return `<div class="quote" data-jump="${r.message_id}"><div class="q-name">${esc(name)}</div><div class="q-text">${esc(previewOf(r))}</div></div>`;
}

function bubble(items, ctx) {
  const m = items[0];
  const out = m.from?.id === ctx.me;
  const isGroup = m.chat.type !== "private";
  const withName = isGroup && !out;
  const sender = m.from?.is_bot ? ctx.bot.first_name : fullName(m.from);
  const captioned = items.find((x) => x.caption) || m;
  const text = m.text ?? captioned.caption ?? "";
  const ents = m.text !== undefined ? m.entities : captioned.caption_entities;
  const hasPhoto = !!m.photo;
  const mediaOnly = (hasPhoto || m.location || m.sticker) && !text && !withName && !m.reply_to_message;
  const last = items[items.length - 1];
  const edited = items.some((x) => x.edit_date) ? "已编辑 " : "";
  const meta = `<span class="meta${mediaOnly ? " over" : ""}">${edited}${timeOf(last.date)}${out ? " ✓" : ""}</span>`;
  let body = "";
  const nameColor = m.from?.is_bot ? "var(--accent-dark)" : colorFor(m.from?.id);
  if (withName) body += `<div class="sender" style="color:${nameColor}">${esc(sender)}</div>`;
  if (m.forward_origin) body += `<div class="forwarded">转发自 ${esc(fullName(m.forward_origin.sender_user))}</div>`;
  body += quoteHtml(m.reply_to_message, ctx);
  if (hasPhoto) body += albumHtml(items);
  else if (m.location) body += locationHtml(m, out);
  else body += fileHtml(m);
  if (text) body += `<div class="text${hasPhoto || m.location ? " media-cap" : ""}">${renderEntities(text, ents)}${meta}</div>`;
  else body += meta;
  const actions = `<div class="msg-actions"><button data-reply="${m.message_id}">回复</button></div>`;
  const ids = items.map((x) => x.message_id).join(",");
  const avatar = withName
    ? (m.from?.is_bot ? avatarHtml("bot", 0, "", true) : avatarHtml("user", m.from?.id, sender, true))
    : "";
  return `<div class="msg-row${out ? " out" : ""}" data-message-id="${m.message_id}" data-ids="${ids}">${avatar}`
    + `<div class="msg"><div class="bubble${mediaOnly ? " media-only" : ""}">${actions}${body}</div>${keyboardHtml(last, ctx.pending)}</div></div>`;
}

export function renderMessages(container, messages, ctx) {
  const list = messages.slice(-MAX_SHOWN);
  let html = "";
  let day = null;
  for (let i = 0; i < list.length; i++) {
    const m = list[i];
    const d = dayOf(m.date);
    if (d !== day) { html += `<div class="day-sep">${d}</div>`; day = d; }
    const service = serviceText(m);
    if (service) { html += `<div class="service">${esc(service)}</div>`; continue; }
    const items = [m];
    while (m.media_group_id && list[i + 1]?.media_group_id === m.media_group_id) items.push(list[++i]);
    html += bubble(items, ctx);
  }
  if (!list.length) html = `<div class="empty-chat">${ctx.emptyText}</div>`;
  container.innerHTML = html;
}
