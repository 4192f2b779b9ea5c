"""The one catalog of everything a person reads (Simplified Chinese).

Residents, grid workers, unit members and admins read only strings from here.
Keep it pure data plus tiny format helpers: no imports from the rest of gridbot.
"""

from __future__ import annotations

STATUS_ZH: dict[str, str] = {
    "new": "已上报",
    "triage": "待分拨",
    "dispatched": "已派遣",
    "accepted": "处置中",
    "returned": "已退回",
    "resolved": "已处置待核查",
    "verified": "核查通过",
    "reopened": "返工",
    "closed": "已结案",
    "cancelled": "已作废",
    "duplicate": "重复上报",
}

PRIORITY_ZH: dict[int, str] = {0: "一般", 1: "紧急", 2: "特急"}

RATING_ZH: dict[str, str] = {
    "satisfied": "满意",
    "basically_satisfied": "基本满意",
    "unsatisfied": "不满意",
}

ROLE_ZH: dict[str, str] = {
    "resident": "居民",
    "grid_worker": "网格员",
    "unit_member": "单位人员",
    "dispatcher": "调度员",
    "admin": "管理员",
}

# Routing reasons (one line, shown to dispatchers and printed by `gridbot route`).
ROUTE_REASON = "{grid} · {category} → {unit} (规则: {rule_grid})"
ROUTE_REASON_CATCH_ALL = "{grid} · {category} → {unit} (兜底: {rule_grid})"
ROUTE_NO_LOCATION = "未定位到网格: 没有位置,文本中也没有可识别的地名"
ROUTE_OUTSIDE = "未定位到网格: 坐标({lat:.6f}, {lon:.6f})不在任何网格内"
ROUTE_NO_UNIT = "{grid} · {category}: 没有负责单位,转网格中心人工分拨"
ROUTE_FROM_PLACE = "(按地名「{place}」定位)"


# --------------------------------------------------------------------------------------
# The Telegram bot (bot/). HTML parse mode: every {placeholder} that carries text a person
# typed is escaped by the caller (bot/render.py `esc`).
# --------------------------------------------------------------------------------------

BOT_NAME = "网格通"

# -- start, help, joining -----------------------------------------------------------------
START = (
    "您好，我是{bot}，青禾县网格化服务管理的随手拍助手。\n"
    "直接用文字描述您发现的问题（如“五丰菜市场门口有人占道摆摊”），"
    "按提示发送位置和照片，确认后提交即可；输入 /my 查看进度。"
)
START_GRID_WORKER = "您是网格员：上报时可选【现场已处置】，核查任务会发到这里，/tasks 查看待办。"
START_UNIT_MEMBER = "您是「{unit}」的工作人员：案件会推送到单位工作群，【办结】时我会在这里请您上传处置照片。"
START_DISPATCHER = "您是调度员：待分拨和紧急案件会通知到这里。"
HELP = (
    "怎么用：\n"
    "1. 用一句话描述问题，例如“解放路小吃街垃圾桶满了没人清运”；\n"
    "2. 发送位置（点下方【发送当前位置】），或输入地址，或点【跳过】；\n"
    "3. 可以发几张现场照片，发完点【完成】；\n"
    "4. 核对后点【提交】，会收到案件编号。\n"
    "/my 我的上报 · /tasks 我的待办 · /cancel 取消当前操作\n"
    "遇到火灾、人员受伤等紧急情况，请直接拨打 110 / 119 / 120。"
)
GREET_REPLY = "您好！请直接描述您发现的问题，我来帮您上报。不会用？发送 /help。"
THANKS_REPLY = "不客气，感谢您对城市管理的支持！有新问题随时告诉我。"
CHITCHAT_REPLY = (
    "我主要负责受理城市管理问题（占道经营、垃圾、路面破损、噪音等）。"
    "请描述具体问题和地点，或发送 /help 查看用法。"
)
INVITE_OK_UNIT = "✅ 已加入「{unit}」。案件会推送到单位工作群，办结时我会在这里找您。"
INVITE_OK_GRID = "✅ 您已成为「{grid}」的网格员。核查任务会发到这里，/tasks 查看待办。"
INVITE_BAD = "邀请链接无效或已过期，请联系管理员重新生成。"
INVITE_USED = "这个邀请链接已经被使用过了，请联系管理员重新生成。"

# -- cancel -----------------------------------------------------------------------------
CANCELLED = "已取消。需要时再直接描述问题即可。"
NOTHING_TO_CANCEL = "当前没有进行中的操作。"
CANCEL_WORDS = ("取消", "取消上报", "算了", "不报了")

# -- the report flow -----------------------------------------------------------------------
EMERGENCY_NOW = (
    "🚨 如有火灾、人员受伤、燃气泄漏或被困等危险，请立即拨打 "
    "<b>119（火警）/ 120（急救）/ 110（报警）</b>，并远离危险区域！\n"
    "我已将此事标记为紧急，请尽快发送位置，网格中心会优先处置。"
)
ASK_CATEGORY = "我不太确定这属于哪类问题，请选择最接近的一项："
CATEGORY_OTHER = "其他"
CATEGORY_CHOSEN = "已选择：{category}"
ASK_CATEGORY_CHANGE = "请选择正确的问题类别："
ASK_LOCATION = "📍 问题在哪里？请点下方【发送当前位置】，或直接输入地址/地标（如“五丰菜市场”），也可以点【跳过】。"
ASK_LOCATION_GUESS = "我从描述中识别到地点「{place}」，可点【{button}】确认，或发送定位、输入更准确的地址。"
BTN_SEND_LOCATION = "📍 发送当前位置"
BTN_SKIP = "跳过"
BTN_DONE = "完成"
BTN_USE_PLACE = "就在{place}"
SKIP_WORDS = ("跳过", "不用", "没有", "没有照片", "不知道")
DONE_WORDS = ("完成", "好了", "发完了", "就这些")
LOCATION_NOT_FOUND = "没有找到「{text}」对应的地点。请换个说法（如小区、路名、菜市场名），或发送定位，或点【跳过】。"
LOCATION_OK_POINT = "已收到位置：{place}"
LOCATION_OK_PLACE = "已定位到：{place}（{grid}）"
LOCATION_OUTSIDE = "这个位置不在本县网格范围内，已记录坐标，将由网格中心人工分拨。"
ASK_PHOTOS = "📷 可以发几张现场照片（可一次选多张），发完点【完成】；没有照片点【跳过】。"
PHOTO_RECEIVED = "已收到照片（共 {n} 张），可继续发送，发完点【完成】。"
PHOTO_ADDED = "已添加照片（共 {n} 张），卡片已更新。请点击卡片上的【提交】。"
PHOTO_LIMIT = "照片最多 {n} 张，多出的没有保存。请点【完成】。"
ASK_DESCRIBE = "收到！请再用一句话说明是什么问题（如“这里垃圾堆了好几天”）。"
ASK_DESCRIBE_AGAIN = "请用文字描述一下问题，或发送 /cancel 取消。"
WAIT_BUTTON = "请点击上方的按钮继续，或发送 /cancel 取消。"
WAIT_PHOTO_OR_DONE = "请发送照片，或点【完成】/【跳过】。"
SUMMARY = (
    "<b>请核对您要上报的问题</b>\n"
    "类别：{category}{emergency}\n"
    "地点：{place}\n"
    "网格：{grid}\n"
    "描述：{description}\n"
    "照片：{photos} 张"
)
SUMMARY_EMERGENCY = "（🚨 紧急）"
NO_PLACE = "未提供"
NO_GRID = "待网格中心确定"
BTN_SUBMIT = "✅ 提交"
BTN_CHANGE_CATEGORY = "✏️ 改类别"
BTN_CANCEL = "✖️ 取消"
BTN_ON_SPOT = "🛠 现场已处置"
SUBMITTED = (
    "✅ 已受理，案件编号 <b>{number}</b>\n"
    "已派遣至「{unit}」，预计 <b>{due}</b> 前处理。处理进展会通知您，/my 可随时查看。"
)
SUBMITTED_TRIAGE = (
    "✅ 已受理，案件编号 <b>{number}</b>\n"
    "网格中心将尽快确定责任单位（一般 2 小时内派遣），进展会通知您，/my 可随时查看。"
)
SUBMITTED_EMERGENCY = "🚨 已按紧急案件优先处置。如有危险，请务必先拨打 110 / 119 / 120。"
SUMMARY_SUBMITTED = "{summary}\n\n✅ 已提交：{number}"
SUMMARY_CANCELLED = "{summary}\n\n✖️ 已取消"
SUBMIT_FAILED = "提交失败，请稍后再试（您的描述已保存，可重新发送）。"
ON_SPOT_ASK_PHOTO = "请发送处置后的现场照片（至少一张），我将按“现场已处置”记录。"
ON_SPOT_DONE = "✅ 已记录现场处置，案件编号 <b>{number}</b>（已结案，计入主动发现）。"
DRAFT_STALE = "这张卡片已过期，请重新描述问题。"

# -- status ---------------------------------------------------------------------------------
MY_CASES_HEADER = "<b>您最近的上报</b>"
MY_CASES_LINE = "{number} · {category} · {status}（{when}）"
MY_CASES_EMPTY = "您还没有上报过问题。直接描述您发现的问题即可上报。"
CASE_STATUS = (
    "<b>{number}</b> · {category}\n"
    "地点：{place}\n"
    "状态：<b>{status}</b>{unit}\n"
    "上报时间：{created}{due}\n"
    "最新进展：{latest}"
)
CASE_STATUS_UNIT = "（{unit}）"
CASE_STATUS_DUE = "\n处置时限：{due}"
CASE_NOT_FOUND = "没有找到案件 {number}，请核对编号（只能查询您本人上报的案件）。"
STATUS_NO_CASES = "您还没有上报过问题，所以暂时没有进展可查。"

# -- unit groups ----------------------------------------------------------------------------
CARD = (
    "{flag}<b>案件 {number}</b> · {category}\n"
    "📍 {place}\n"
    "🗺 网格：{grid}\n"
    "📝 {description}\n"
    "{photos}"
    "⏰ 处置时限：{due}\n"
    "状态：<b>{status}</b>{who}{extra}"
)
CARD_FLAG_EMERGENCY = "🚨【紧急】"
CARD_FLAG_REWORK = "🔁【返工】"
CARD_PHOTOS = "📷 照片 {n} 张（见下方）\n"
CARD_WHO = " · 接单人：{name}"
CARD_MOVED = "\n（已改派至其他单位，本群无需处理）"
CARD_REPLACED = "\n（已重新派发，请处理下方的新卡片）"
CARD_RETURN_NOTE = "\n退回原因：{reason}"
CARD_RESOLVED_NOTE = "\n处置说明：{note}"
BTN_ACCEPT = "📥 接单"
BTN_RETURN = "↩️ 退回"
BTN_RESOLVE = "✅ 办结"
ACCEPTED_ALERT = "已接单，请尽快处置。处置完成后点【办结】。"
RESOLVE_ASK_PRIVATE = "请在与我的私聊中上传处置照片。"
RESOLVE_NEED_START = "请先私聊我（点我的头像 → 发送 /start），再点【办结】。"
RESOLVE_PROMPT = "案件 <b>{number}</b>（{category}，{place}）\n请发送处置后的现场照片，然后写一句处置说明。"
RESOLVE_ASK_NOTE = "已收到照片（共 {n} 张）。请用一句话说明处置情况，或点【跳过】。"
RESOLVE_NEED_PHOTO = "请先发送处置后的现场照片。"
RESOLVE_DEFAULT_NOTE = "已处置"
RESOLVED_OK = "✅ 案件 {number} 已办结，已通知群众评价和网格员核查。"
RETURN_ASK = "{name}，请选择退回案件 {number} 的原因，或直接回复文字说明："
RETURN_REASONS: dict[str, str] = {
    "scope": "非本单位职责",
    "area": "不在本单位辖区",
    "info": "信息不全，无法处置",
    "dup": "重复案件",
}
RETURN_OK = "↩️ 案件 {number} 已退回网格中心重新分拨。原因：{reason}"

# -- residents hear back ----------------------------------------------------------------------
NOTICE_DISPATCHED = "您反映的问题 <b>{number}</b> 已派遣至「{unit}」，预计 {due} 前处理。"
NOTICE_ACCEPTED = "您反映的问题 <b>{number}</b> 已由「{unit}」接单，正在处理。"
NOTICE_RESOLVED = "您反映的问题 <b>{number}</b> 已处置完毕。\n处置说明：{note}"
NOTICE_REOPENED = "问题 <b>{number}</b> 已退回「{unit}」重新处理（返工），我们会继续跟进。"
NOTICE_CLOSED = "问题 <b>{number}</b> 已结案，感谢您的参与和监督！"
NOTICE_CANCELLED = "问题 <b>{number}</b> 已作废：{reason}"
NOTICE_DUPLICATE = "问题 <b>{number}</b> 与已受理的 {other} 是同一问题，将一并处理，进展照常通知您。"
RATE_ASK = "请对问题 <b>{number}</b> 的处理结果进行评价："
BTN_RATE: dict[str, str] = {"satisfied": "😊 满意", "basically_satisfied": "🙂 基本满意",
                            "unsatisfied": "😞 不满意"}
RATE_THANKS = "感谢您的评价：{rating}"
RATE_REOPENED = "收到您的不满意评价，已通知责任单位重新处理（返工）。"
RATE_DONE = "{text}\n\n已评价：{rating}"

# -- grid workers ---------------------------------------------------------------------------
VERIFY_CARD = (
    "🔍 <b>核查任务</b> · 案件 {number} · {category}\n"
    "📍 {place}（{grid}）\n"
    "📝 {description}\n"
    "处置单位：{unit}\n"
    "处置说明：{note}\n"
    "状态：<b>{status}</b>"
)
BTN_VERIFY_OK = "✅ 核查通过"
BTN_VERIFY_FAIL = "❌ 未解决"
VERIFY_OK = "已核查通过。"
VERIFY_ASK_NOTE = "请简要说明现场未解决的情况（如“摊贩仍在”），或点【跳过】。"
VERIFY_FAIL_OK = "已退回「{unit}」返工：{note}"
VERIFY_FAIL_DEFAULT = "核查未通过"
TASKS_HEADER = "<b>您的待办</b>"
TASKS_VERIFY = "🔍 待核查 {n} 件："
TASKS_UNIT = "📥 单位待处置 {n} 件："
TASKS_TRIAGE = "🗂 待分拨 {n} 件："
TASKS_LINE = "{number} · {category} · {place} · {status}"
TASKS_EMPTY = "暂时没有待办任务。"
TASKS_NOT_STAFF = "/tasks 供网格员和单位工作人员使用。您可以用 /my 查看自己的上报。"

# -- dispatchers ------------------------------------------------------------------------------
TRIAGE_CARD = (
    "{flag}🗂 <b>待分拨</b> · 案件 {number} · {category}\n"
    "📍 {place}（{grid}）\n"
    "📝 {description}\n"
    "原因：{reason}\n"
    "状态：<b>{status}</b>"
)

# -- groups and admin --------------------------------------------------------------------------
BIND_OK = "✅ 本群已绑定为「{unit}」的工作群，新案件会推送到这里。"
BIND_BAD = "绑定码无效或已过期。请管理员运行 gridbot invite --unit 单位ID --bind 生成新的绑定码。"
BIND_USAGE = "用法：/bind 绑定码（由管理员生成）"
BIND_NOT_GROUP = "请在单位的工作群里发送 /bind。"
BIND_NOT_ALLOWED = "只有管理员或该单位的工作人员可以绑定工作群。"
GROUP_HELLO = "大家好，我是{bot}。请管理员发送 /bind 绑定码，把本群绑定到责任单位。"

# -- alerts and bad input -----------------------------------------------------------------------
ALERT_FORBIDDEN = "无权操作"
ALERT_HANDLED = "该案件已处理"
ALERT_STALE = "操作已过期"
ALERT_BUSY = "系统繁忙，请稍后再试"
UNSUPPORTED = "我暂时只能看懂文字、照片和位置。请用文字描述问题，照片可以直接发送。"
UNSUPPORTED_VOICE = "暂时听不了语音，请用文字描述问题，照片可以直接发送。"
ERROR_REPLY = "抱歉，系统开小差了，请稍后再试。您发送的内容已保存。"

# -- Assessment (考核) tables: `gridbot report` and the admin console ------------------------
ASSESS_COLUMNS: dict[str, str] = {
    "name": "对象",
    "reported": "上报数",
    "proactive_rate": "主动发现率",
    "to_handle": "应处置数",
    "handled_rate": "处置率",
    "on_time_rate": "按期处置率",
    "overdue_open_rate": "超期待处置率",
    "rework_rate": "返工率",
    "extension_rate": "延期率",
    "accurate_dispatch_rate": "准确派遣率",
    "satisfaction_rate": "满意率",
    "mean_handling_hours": "平均处置时长(小时)",
    "score": "综合得分",
}
ASSESS_TITLE = "考核报表 {period}"
ASSESS_TOTAL = "【总体】"
ASSESS_UNITS = "【责任单位】"
ASSESS_GRIDS = "【网格】"
ASSESS_UNIT_RANKING = "【责任单位排名】"
ASSESS_GRID_RANKING = "【网格排名】"
ASSESS_TOP = "前三:"
ASSESS_BOTTOM = "后三:"
ASSESS_EMPTY = "(本期无数据)"
ASSESS_WORKERS_TITLE = "【网格员积分】"
ASSESS_POINTS_RULE = (
    "积分规则: 每上报1件 +{report} 分, 现场处置另加 +{report_on_spot} 分,"
    " 每完成1次核查 +{verification} 分, 重复上报 {duplicate} 分"
)
ASSESS_WORKER_LINE = "{points} 分 (上报 {reports}, 现场处置 {on_spot}, 核查 {verifications}, 重复 {duplicates})"

# -- Deadlines: reminders, escalation (督办), default rating ------------------------------
SCHED_REMINDER_NOTE = "处置时限已过{pct}%"
SCHED_ESCALATION_NOTE = "超期督办(第{step}级): {target}"
SCHED_NO_TARGET = "网格中心调度员"
SCHED_AUTO_CLOSE_NOTE = "超时未评价, 默认满意"
