// The settings drawer: bot status, fault injection, and what a tester does to users and groups.

import { api } from "./api.js";
import { esc } from "./format.js";

let ctx = null;
const $ = (id) => document.getElementById(id);
const pct = (x) => Math.round((x || 0) * 1000) / 10;

export function setupPanel(context) {
  ctx = context;
  $("panel-close").onclick = () => { $("panel").hidden = true; };
  $("panel-body").addEventListener("click", onClick);
}

export async function refreshPanel() {
  const S = ctx.state;
  const [stats, faults] = await Promise.all([api("stats"), api("faults")]);
  const f = faults.config;
  const chat = S.chats.find((c) => c.id === S.current);
  const me = S.users.get(S.me);
  const calls = Object.values(stats.calls).reduce((a, b) => a + b, 0);
  const kv = (k, v) => `<div class="kv"><span>${k}</span><span>${esc(v)}</span></div>`;
  let html = "<h4>机器人</h4>"
    + kv("状态", stats.bot_online ? "在线" : "未连接")
    + kv("接收方式", stats.webhook ? `Webhook ${stats.webhook.url}` : "长轮询 getUpdates")
    + kv("待取更新", stats.pending_updates)
    + kv("Bot API 调用", calls)
    + kv("限流 429", stats.rate_limited);
  html += "<h4>故障注入（占 Bot API 发送调用的百分比）</h4>"
    + field("429 限流", "rate_429", pct(f.rate_429)) + field("500 错误", "rate_500", pct(f.rate_500))
    + field("断开连接", "rate_drop", pct(f.rate_drop)) + field("处理后断开", "rate_drop_after", pct(f.rate_drop_after))
    + field("延迟占比", "rate_delay", pct(f.rate_delay)) + field("延迟毫秒", "delay_ms", f.delay_ms, true)
    + field("随机种子", "seed", f.seed ?? "", true)
    + '<button class="secondary" data-act="faults">应用</button><button class="secondary" data-act="faults-off">全部关闭</button>'
    + `<div class="kv"><span>已注入</span><span>${esc(JSON.stringify(faults.stats))}</span></div>`;
  if (me) {
    html += `<h4>当前用户：${esc(me.name)}</h4>`
      + `<button class="secondary danger" data-act="block">${me.blocked ? "解除屏蔽机器人" : "屏蔽机器人"}</button>`;
  }
  if (chat && chat.type !== "private") {
    html += `<h4>当前群：${esc(chat.title)}</h4>`
      + (chat.type === "group" ? '<button class="secondary" data-act="migrate">升级为超级群</button>' : "")
      + `<button class="secondary" data-act="bot">${chat.bot_member ? "将机器人移出群" : "把机器人加回群"}</button>`
      + '<button class="secondary danger" data-act="delete">解散该群</button>';
  }
  $("panel-body").innerHTML = html;
}

function field(label, key, value, raw = false) {
  return `<label class="field"><span>${label}</span><input data-key="${key}" data-raw="${raw ? 1 : ""}" value="${esc(value)}" inputmode="decimal">${raw ? "" : "%"}</label>`;
}

async function onClick(ev) {
  const act = ev.target.closest("[data-act]")?.dataset.act;
  if (!act) return;
  const S = ctx.state;
  try {
    if (act === "faults" || act === "faults-off") {
      const body = {};
      for (const input of $("panel-body").querySelectorAll("input[data-key]")) {
        const v = input.value.trim();
        if (input.dataset.key === "seed") body.seed = v === "" ? null : Number(v);
        else body[input.dataset.key] = act === "faults-off" ? 0 : input.dataset.raw ? Number(v) : Number(v) / 100;
      }
      await api("faults", { body });
      ctx.toast("故障注入已更新");
    } else if (act === "block") {
      const me = S.users.get(S.me);
      await api(`users/${S.me}/block`, { body: { blocked: !me.blocked } });
    } else if (act === "migrate") {
      await api(`groups/${S.current}/migrate`, { body: {} });
    } else if (act === "bot") {
      const chat = S.chats.find((c) => c.id === S.current);
      await api(`groups/${S.current}/bot`, { body: { present: !chat.bot_member, actor_id: S.me } });
    } else if (act === "delete") {
      if (!confirm("确定解散该群？")) return;
      await api(`groups/${S.current}/delete`, { body: {} });
    }
    await ctx.refresh();
    await refreshPanel();
  } catch (e) {
    ctx.fail(e);
  }
}
