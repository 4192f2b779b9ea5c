// Text formatting: Bot API entities → HTML, times, names, previews.

export const ROLE_NAMES = {
  resident: "居民", grid_worker: "网格员", unit_member: "单位成员",
  dispatcher: "调度员", admin: "管理员",
};

export function esc(s) {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
  })[c]);
}

const PALETTE = ["#e17076", "#7bc862", "#e5a64e", "#65aadd", "#a695e7", "#ee7aae", "#6ec9cb", "#faa774"];
export function colorFor(id) {
  const n = Math.abs(Number(id) || 0);
  return PALETTE[n % PALETTE.length];
}

export function initial(name) {
  const s = String(name || "?").trim();
  return s ? Array.from(s)[0] : "?";
}

const BOT_ICON = '<svg viewBox="0 0 24 24"><rect x="4" y="7" width="16" height="12" rx="4" fill="none" stroke="#fff" stroke-width="2"/><circle cx="9.5" cy="13" r="1.6" fill="#fff"/><circle cx="14.5" cy="13" r="1.6" fill="#fff"/><path d="M12 3v4" stroke="#fff" stroke-width="2" stroke-linecap="round"/></svg>';
const GROUP_ICON = '<svg viewBox="0 0 24 24"><circle cx="9" cy="9" r="3.2" fill="none" stroke="#fff" stroke-width="2"/><path d="M3 19c.6-3.3 3-5 6-5s5.4 1.7 6 5" fill="none" stroke="#fff" stroke-width="2" stroke-linecap="round"/><circle cx="16.5" cy="8" r="2.5" fill="none" stroke="#fff" stroke-width="1.8"/><path d="M17 13c2.3.3 3.7 1.9 4 4.5" fill="none" stroke="#fff" stroke-width="1.8" stroke-linecap="round"/></svg>';

export function avatarHtml(kind, id, name, small = false) {
  const cls = small ? "avatar small" : "avatar";
  if (kind === "bot") {
    return `<div class="${cls}" style="background:linear-gradient(135deg,#4f9bff,#2f6ff0)">${BOT_ICON}</div>`;
  }
  if (kind === "group") {
    return `<div class="${cls}" style="background:${colorFor(id)}">${GROUP_ICON}</div>`;
  }
  return `<div class="${cls}" style="background:${colorFor(id)}">${esc(initial(name))}</div>`;
}

export function fullName(user) {
  if (!user) return "";
  return user.last_name ? `${user.first_name} ${user.last_name}` : user.first_name;
}

const pad = (n) => String(n).padStart(2, "0");
export function timeOf(unix) {
  const d = new Date(unix * 1000);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
export function dayOf(unix) {
  const d = new Date(unix * 1000);
  const today = new Date();
  const y = new Date(today);
  y.setDate(today.getDate() - 1);
  if (d.toDateString() === today.toDateString()) return "今天";
  if (d.toDateString() === y.toDateString()) return "昨天";
  return `${d.getFullYear()}年${d.getMonth() + 1}月${d.getDate()}日`;
}
export function shortTime(unix) {
  if (!unix) return "";
  const d = new Date(unix * 1000);
  if (d.toDateString() === new Date().toDateString()) return timeOf(unix);
  return `${d.getMonth() + 1}/${d.getDate()}`;
}

export function serviceText(m, users) {
  const who = fullName(m.from);
  if (m.new_chat_members) {
    const names = m.new_chat_members.map(fullName).join("、");
    return m.new_chat_members.some((u) => u.id === m.from?.id) ? `${names} 加入了群聊` : `${who} 邀请 ${names} 加入了群聊`;
  }
  if (m.left_chat_member) return `${fullName(m.left_chat_member)} 离开了群聊`;
  if (m.migrate_to_chat_id) return "本群已升级为超级群";
  if (m.migrate_from_chat_id) return "本超级群由普通群升级而来";
  if (m.group_chat_created) return `${who} 创建了群聊`;
  return null;
}

export function previewOf(m) {
  if (!m) return "";
  const service = serviceText(m);
  if (service) return service;
  if (m.text) return m.text;
  const cap = m.caption ? ` ${m.caption}` : "";
  if (m.photo) return `[照片]${cap}`;
  if (m.venue) return `[位置] ${m.venue.title}`;
  if (m.location) return "[位置]";
  if (m.document) return `[文件] ${m.document.file_name || ""}`;
  if (m.voice) return "[语音]";
  if (m.video) return "[视频]";
  if (m.video_note) return "[视频消息]";
  if (m.audio) return "[音频]";
  if (m.animation) return "[动图]";
  if (m.sticker) return `[贴纸] ${m.sticker.emoji || ""}`;
  if (m.contact) return `[联系人] ${m.contact.first_name}`;
  return "[消息]";
}

const TAGS = {
  bold: ["<b>", "</b>"], italic: ["<i>", "</i>"], underline: ["<u>", "</u>"],
  strikethrough: ["<s>", "</s>"], code: ["<code>", "</code>"],
  blockquote: ["<blockquote>", "</blockquote>"], expandable_blockquote: ["<blockquote>", "</blockquote>"],
};

function openTag(e, text) {
  const t = e.type;
  if (TAGS[t]) return TAGS[t][0];
  if (t === "pre") return `<pre data-lang="${esc(e.language || "")}">`;
  if (t === "spoiler") return '<span class="spoiler">';
  if (t === "text_link") return `<a href="${esc(e.url)}" target="_blank" rel="noopener">`;
  if (t === "url") {
    const href = text.slice(e.offset, e.offset + e.length);
    return `<a href="${esc(href)}" target="_blank" rel="noopener">`;
  }
  if (t === "bot_command") {
    return `<span class="ent-cmd" data-command="${esc(text.slice(e.offset, e.offset + e.length))}">`;
  }
  if (t === "mention" || t === "hashtag" || t === "text_mention" || t === "cashtag") {
    return '<span class="ent-cmd">';
  }
  return "<span>";
}
function closeTag(e) {
  if (TAGS[e.type]) return TAGS[e.type][1];
  if (e.type === "pre") return "</pre>";
  if (e.type === "text_link" || e.type === "url") return "</a>";
  return "</span>";
}

// JS strings are UTF-16, like entity offsets: indices map directly.
export function renderEntities(text, entities) {
  if (!text) return "";
  if (!entities || !entities.length) return esc(text);
  const list = [...entities].filter((e) => e.length > 0)
    .sort((a, b) => a.offset - b.offset || b.length - a.length);
  const points = new Set([0, text.length]);
  for (const e of list) { points.add(e.offset); points.add(Math.min(text.length, e.offset + e.length)); }
  const cuts = [...points].sort((a, b) => a - b);
  let html = "";
  const open = [];
  for (let i = 0; i < cuts.length - 1; i++) {
    const at = cuts[i];
    // close what ends here, reopening anything opened after it (overlaps)
    const ending = open.filter((e) => e.offset + e.length <= at);
    if (ending.length) {
      const firstIdx = Math.min(...ending.map((e) => open.indexOf(e)));
      const reopen = open.slice(firstIdx).filter((e) => !ending.includes(e));
      for (const e of open.slice(firstIdx).reverse()) html += closeTag(e);
      open.length = firstIdx;
      for (const e of reopen) { html += openTag(e, text); open.push(e); }
    }
    for (const e of list) {
      if (e.offset === at) { html += openTag(e, text); open.push(e); }
    }
    html += esc(text.slice(at, cuts[i + 1]));
  }
  for (const e of open.reverse()) html += closeTag(e);
  return html;
}

export function fileSize(n) {
  if (!n && n !== 0) return "";
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
