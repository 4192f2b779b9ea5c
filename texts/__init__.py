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

# 12345 export (`gridbot hotline export`): the columns sent back and the result of an order.
HOTLINE_EXPORT_COLUMNS = ("工单编号", "案件编号", "办理状态", "办理结果", "处置单位", "办结时间",
                          "处置说明", "满意度评价")
HOTLINE_RESULT: dict[str, str] = {
    "recorded": "已记录（咨询/建议/表扬类，无需派单）",
    "closed": "已办结",
    "resolved": "已处置",
    "verified": "已处置",
    "cancelled": "已作废",
    "duplicate": "重复诉求，已并入原案件办理",
}
HOTLINE_IN_PROGRESS = "办理中"
HOTLINE_RECORDED = "已记录"

PRIORITY_ZH: dict[int, str] = {0: "一般", 1: "紧急", 2: "特急"}

RATING_ZH: dict[str, str] = {
    "satisfied": "满意",
    "basically_satisfied": "基本满意",
    "unsatisfied": "不满意",
}

ROLE_ZH: dict[str, str] = {
    "resident": "居民",
    "grid_worker": "网格员",
    "grid_leader": "网格长",
    "unit_member": "单位人员",
    "dispatcher": "调度员",
    "admin": "管理员",
}

# A member refused by the one member validation (dispatch/domain/members.py): the same line
# for `gridbot members` and the console's member editing. "who" names the person.
MEMBER_INVALID: dict[str, str] = {
    "who": "成员 {name}（{ref}）：",
    "tg_id": "tg_id 必须是 1 到 {max} 之间的整数（Telegram 用户 ID）",
    "no_roles": "至少要有一个角色",
    "unknown_role": "未知的角色：{ids}",
    "unknown_grid": "未知的网格：{ids}",
    "unknown_unit": "未知的单位：{ids}",
    "needs_grid": "{role}至少要负责一个网格",
    "member_needs_unit": "单位成员至少要属于一个单位",
}

# Retention (dispatch/service/retention.py): what stands where a resident's data was.
RETENTION: dict[str, str] = {
    "anonymous_name": "已匿名居民",
    "masked_phone": "［号码已删除］",
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
START_GRID_WORKER = "您是网格员：上报时可选【现场已处置】，核查任务会发到这里，/tasks 查看待办，/patrol 开始巡查。"
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
ASK_LOCATION_WHICH = "「{name}」有不止一处：{options}。是哪一处？请点下方的按钮，或发送定位、输入更准确的地址。"
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
BTN_CHANGE_PLACE = "📍 改地点"
BTN_CHANGE_TEXT = "📝 改描述"
BTN_CHANGE_PHOTOS = "📷 改照片"
ASK_CHANGE_PLACE = "请发送新的位置（点下方【发送当前位置】），或输入地址/地标（如“五丰菜市场”）："
ASK_CHANGE_TEXT = "请重新描述问题（发送后会替换原来的描述）："
ASK_CHANGE_PHOTOS = "原来的照片已去掉。请发送新的现场照片，发完点【完成】；不需要照片就点【跳过】。"
NEARBY_HEADER = "附近已有人反映过同类问题，正在处理中："
NEARBY_LINE = "• <b>{number}</b> · {category} · {place} · {status}（{when}上报）"
NEARBY_HINT = "如果是同一个问题，点【关注】跟进它的处理进展即可，不必重复上报；不是的话，请在下方的核对卡片上提交。"
BTN_FOLLOW = "👀 关注 {short}"
FOLLOWED = "已关注案件 <b>{number}</b>，处理进展会通知您。本次没有新建上报。"
SUMMARY_FOLLOWED = "{summary}\n\n（已改为关注案件 {number}，没有新建上报）"
SUMMARY_EDITING = "{summary}\n\n（正在修改，改好后会发来新的核对卡片）"
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
# A reply-keyboard answer (跳过 / 完成 / 发送位置 / 就在<a known place>) with no conversation to answer: the
# conversation was lost (a restart) — never taken as a new report's description.
STEP_LOST = "刚才的对话已中断，这一步无法继续。请重新描述您要反映的问题（例如：五一路路灯不亮）。"

# -- status ---------------------------------------------------------------------------------
MY_CASES_HEADER = "<b>您最近的上报</b>"
MY_CASES_LINE = "{number} · {category} · {status}（{when}）"
MY_CASES_EMPTY = "您还没有上报过问题。直接描述您发现的问题即可上报。"
# "最新进展" of a case, as its reporter reads it: by the latest event ({unit}: the unit now).
PROGRESS_ZH: dict[str, str] = {
    "reported": "已受理，正在派遣",
    "dispatched": "已派遣至「{unit}」处理",
    "reassigned": "已改派至「{unit}」处理",
    "triaged": "网格中心正在确定处理单位",
    "accepted": "「{unit}」已接单，正在处理",
    "returned": "网格中心正在重新确定处理单位",
    "resolved": "已处置完毕，等待评价和核查",
    "resolved_on_spot": "网格员已现场处置",
    "verified": "网格员已到现场核查",
    "rated": "已收到评价",
    "reopened": "已交「{unit}」重新处理（返工）",
    "closed": "已结案",
    "cancelled": "已作废",
    "linked_duplicate": "与已受理的同一问题合并处理",
    "duplicate_reported": "又有群众反映了这个问题，已一并处理",
    "extended": "处置时限已延长",
    "recategorised": "问题类别已调整",
    "reviewed": "现场处置已审核",
    "reminded": "已提醒处理单位抓紧处置",
    "escalated": "已超期，正在督办",
    "amended": "上报内容已更新",
}
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
CARD_REWORK_NOTE = "\n返工原因：{reason}"
BTN_ACCEPT = "📥 接单"
BTN_RETURN = "↩️ 退回"
BTN_RESOLVE = "✅ 办结"
ACCEPTED_ALERT = "已接单，请尽快处置。处置完成后点【办结】。"
RESOLVE_ASK_PRIVATE = "请在与我的私聊中上传处置照片。"
RESOLVE_ONLY_ACCEPTER = "只有接单人{name}可以办结此案件：办结要上传本人处置后的现场照片。如需换人处理，请{name}办结或联系调度员改派。"
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
RATE_ASK_SOLVED = "问题解决了吗？"
BTN_SOLVED: dict[bool, str] = {True: "✅ 解决了", False: "❌ 没解决"}
RATE_SOLVED_ANSWER = "问题解决了吗：{answer}"
SOLVED_ZH: dict[bool, str] = {True: "解决了", False: "没解决"}
RATE_ASK_SATISFACTION = "您对处理结果满意吗？"
RATE_ASK_REASON = "请简要说明原因（{limit}字以内），以便责任单位改进；不想说明可点【跳过】。"
RATE_REASON_EMPTY = "原因不能为空。请用一句话说明，或点【跳过】。"
RATE_REASON_TOO_LONG = "原因最多 {limit} 字，您发送了 {n} 字。请精简后重新发送，或点【跳过】。"
RATE_REASON_SHOWN = "\n原因：{reason}"
BTN_RATE: dict[str, str] = {"satisfied": "😊 满意", "basically_satisfied": "🙂 基本满意",
                            "unsatisfied": "😞 不满意"}
RATE_THANKS = "感谢您的评价：{rating}"
RATE_REOPENED = "收到您的不满意评价，已通知责任单位重新处理（返工）。"
RATE_DONE = "{text}\n\n已评价：{rating}"
RATE_REWORKING = "{text}\n\n已评价：{rating}\n已通知责任单位重新处理（返工），处理完成后会再请您评价。"
RATE_ROUND_OVER = "{text}\n\n本轮评价已结束：案件已重新交办处理，处理完成后会再请您评价。"
ALERT_RATE_OUTDATED = "这条评价请求已过期（案件已重新处理），请在最新的评价消息中评价。"

NOTICE_FOLLOWER = "（您反映过同一问题，一并告知）"
REMINDER = "⏰ 案件 <b>{number}</b>（{category}）处置时限已过 {pct}%，截止 {due}，请尽快处置。"
ESCALATION = "🔺 督办：案件 <b>{number}</b>（{category}，{unit}）已超期，现升级至第 {step} 级督办，截止 {due}。"
SUBMITTED_DUPLICATE = (
    "✅ 已收到。这个问题已有人反映（案件 <b>{other}</b>），正在处理中，我们会把进展一并告诉您。"
    "您的上报编号 <b>{number}</b>。"
)

# -- grid workers ---------------------------------------------------------------------------
STATUS_REWORK = "返工中（{status}）"
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
TASKS_LINE_DUE = "{number} · {category} · {place} · {status} · ⏰ {due}{late}"
TASKS_LATE = "（已超期）"
GROUP_TASKS_HEADER = "<b>「{unit}」待处置案件 {n} 件</b>（按紧急程度和处置时限排列）"
GROUP_TASKS_EMPTY = "「{unit}」目前没有待处置的案件。"
GROUP_TASKS_MORE = "……仅列出前 {shown} 件。"
DISPATCH_TASKS_HEADER = "<b>待分拨案件 {n} 件</b>"
DISPATCH_TASKS_EMPTY = "目前没有待分拨的案件。"
GROUP_NOT_BOUND = "本群还没有绑定责任单位，请管理员发送 /bind 绑定码。"
GROUP_HELP = (
    "本群是「{unit}」的工作群：新案件以卡片推送到这里，点【接单】【退回】处理，"
    "处置完成后由接单人点【办结】并在私聊中上传现场照片。\n/tasks 查看本单位待处置的案件和处置时限。"
)
DISPATCH_GROUP_HELP = (
    "本群是网格中心的调度群：待分拨和紧急案件推送到这里，调度员可在卡片上改派或退回处理。\n"
    "/tasks 查看待分拨的案件。"
)
# The "/" command menus (setMyCommands), per kind of chat.
COMMANDS_PRIVATE: dict[str, str] = {
    "start": "开始 / 使用说明",
    "my": "我的上报",
    "tasks": "我的待办（网格员、单位）",
    "patrol": "开始 / 结束巡查（网格员）",
    "cancel": "取消当前操作",
    "help": "帮助",
}
COMMANDS_UNIT_GROUP: dict[str, str] = {"tasks": "本单位待处置案件及时限", "help": "本群怎么用"}
COMMANDS_DISPATCH_GROUP: dict[str, str] = {"tasks": "待分拨案件", "help": "本群怎么用"}
BTN_TASK_VERIFY_OK = "✅ 通过 {short}"
BTN_TASK_VERIFY_FAIL = "❌ 未解决 {short}"
TASKS_NOT_STAFF = "/tasks 供网格员和单位工作人员使用。您可以用 /my 查看自己的上报。"

# -- Patrols (巡查): the grid worker's private chat, the grid leader's alerts and morning message ---
PATROL_MENU = "网格巡查："
PATROL_BUTTON_START = "🚶 开始巡查"
PATROL_BUTTON_END = "⏹ 结束巡查"
PATROL_BUTTON_OK = "✅ 巡查无异常"
PATROL_NOT_WORKER = "巡查功能供网格员使用。如需反映问题，直接发文字描述即可。"
PATROL_HOW = (
    "<b>开始巡查</b>\n请点 📎 → 位置 → <b>共享实时位置</b>（建议 8 小时），巡查随即开始。\n"
    "巡查中发现问题照常上报，会记入本次巡查；结束时点【⏹ 结束巡查】、发 /patrol 或停止共享位置。"
)
PATROL_STARTED = "🚶 巡查已开始（{time}）。轨迹仅在巡查期间记录。结束时点【⏹ 结束巡查】或停止共享位置。"
PATROL_ALREADY = "您已在巡查中（{time} 开始）。"
PATROL_NOT_LIVE = "请共享<b>实时位置</b>（📎 → 位置 → 共享实时位置），单次位置无法记录巡查轨迹。"
PATROL_FORWARDED = "转发的位置不能用于巡查，请共享您本人的实时位置。"
PATROL_NONE = "您当前没有进行中的巡查。"
PATROL_ENDED_BY = {
    "worker": "巡查已结束。",
    "stopped": "实时位置已停止共享，巡查已结束。",
    "max_duration": "巡查已达最长时长 {hours:g} 小时，已自动结束。",
}
PATROL_SUMMARY = (
    "<b>巡查小结</b>\n{start}–{end}，历时 {duration}，里程 {km:.2f} 公里\n"
    "在本人网格内 {inside}（{inside_pct:.0f}%）\n{coverage}\n上报 {reports} 件，其中现场处置 {on_spot} 件"
)
PATROL_COVERAGE_LINE = "「{grid}」覆盖 {pct:.0f}%"
PATROL_NO_COVERAGE = "未经过本人网格"
PATROL_ASK_OK = "如本次巡查未发现问题，点【✅ 巡查无异常】即可。"
PATROL_OK_DONE = "已记录：巡查无异常。"
PATROL_DURATION = "{h}小时{m}分"
PATROL_DURATION_MIN = "{m}分钟"
PATROL_FENCE = {
    ("outside", True): "⚠️ 网格员 {name} 巡查中已离开责任网格超过 {minutes:g} 分钟（自 {since}）。",
    ("outside", False): "✅ 网格员 {name} 已回到责任网格（{now}）。",
    ("stale", True): "⚠️ 网格员 {name} 巡查中位置已 {minutes:g} 分钟未更新（最后更新 {since}）。",
    ("stale", False): "✅ 网格员 {name} 的位置已恢复更新（{now}）。",
}
PATROL_END_REASON_ZH = {"worker": "网格员结束", "stopped": "停止共享位置", "max_duration": "达到最长时长"}
PATROL_DIGEST_HEADER = "<b>日督导 · {day} 巡查情况</b>"
PATROL_DIGEST_LINE = "{name}：{start}–{end}，{duration}，{km:.1f} 公里，上报 {reports} 件"
PATROL_DIGEST_NONE = "未巡查：{names}"
PATROL_DIGEST_EMPTY = "（所辖网格无网格员）"

# -- dispatchers ------------------------------------------------------------------------------
TRIAGE_CARD = (
    "{flag}{title} · 案件 {number} · {category}\n"
    "📍 {place}（{grid}）\n"
    "📝 {description}\n"
    "原因：{reason}\n"
    "状态：<b>{status}</b>{unit}"
)
# Why a case waits for a dispatcher, in plain words (the timeline keeps the routing detail).
TRIAGE_WHY: dict[str, str] = {
    "no_place": "没有发送位置，描述里也没有能认出的地名，请确定地点后分拨",
    "outside": "发送的位置不在本县任何网格内，请确定地点后分拨",
    "no_unit": "「{grid}」没有负责「{category}」的单位，请指定处理单位",
    "uncertain": "问题类别不确定，请确认类别后分拨",
    "emergency": "紧急情况，请关注处置进展",
}
BTN_DISPATCH_TO = "🔀 派给 {unit}"
BTN_DISPATCH_BACK = "↩️ 退回「{unit}」处理"
BTN_OPEN_CONSOLE = "🖥 在控制台打开"
DISPATCH_DONE = "已派给「{unit}」。"
DISPATCH_NOT_DISPATCHER = "只有调度员可以分拨案件。"
DISPATCH_DONE_NOTE = "调度员在群里派遣"
DISPATCH_BACK_NOTE = "退回理由不成立，由原单位处理"
TRIAGE_TITLE = "🗂 <b>待分拨</b>"
TRIAGE_TITLE_EMERGENCY = "<b>紧急上报</b>"
TRIAGE_TITLE_DONE = "🗂 <b>已分拨</b>"

# -- groups and admin --------------------------------------------------------------------------
BIND_OK = "✅ 本群已绑定为「{unit}」的工作群，新案件会推送到这里。"
BIND_BAD = "绑定码无效或已过期。请管理员运行 gridbot invite --unit 单位ID --bind 生成新的绑定码。"
BIND_USAGE = "用法：/bind 绑定码（由管理员生成）"
CHAT_ID = "本群的群 ID：<code>{chat_id}</code>\n（设置考核通报的领导群时填写：配置 → 处置规则 → 考核通报）"
BIND_NOT_GROUP = "请在单位的工作群里发送 /bind。"
BIND_NOT_ALLOWED = "只有管理员或该单位的工作人员可以绑定工作群。"
BIND_MOVE_PENDING = (
    "「{unit}」已有工作群。换群申请已提交，等待管理员批准；批准前新案件不会推送到本群。"
)
# -- moving a unit's work group (notices to the groups; {title}: the new group) --------------
GROUP_MOVE_NOTICES = {
    "move_requested": "⚠️ 有人在另一个群（{title}）发送了 /bind，申请把「{unit}」的工作群改到那里。"
    "须经管理员批准；如非本单位所为，请联系管理员拒绝。",
    "move_done_old": "ℹ️ 管理员已批准：「{unit}」的工作群已改为另一个群（{title}），今后的案件不再推送到本群。",
    "move_done_new": "✅ 管理员已批准：本群现为「{unit}」的工作群，新案件会推送到这里。",
    "move_rejected": "❌ 管理员拒绝了把「{unit}」的工作群改到本群的申请。",
}
GROUP_HELLO = "大家好，我是{bot}。请管理员发送 /bind 绑定码，把本群绑定到责任单位。"

# -- alerts and bad input -----------------------------------------------------------------------
ALERT_FORBIDDEN = "无权操作"
ALERT_HANDLED = "该案件已处理"
ALERT_STALE = "操作已过期"
ALERT_BUSY = "系统繁忙，请稍后再试"
UNSUPPORTED = "我暂时只能看懂文字、照片和位置。请用文字描述问题，照片可以直接发送。"
UNSUPPORTED_VOICE = "暂时听不了语音，请用文字描述问题，照片可以直接发送。"
ERROR_REPLY = "抱歉，系统开小差了，请稍后再试。您发送的内容已保存。"
FLOOD_NOTICE = "您发送得太快了，请稍等几秒再继续。刚才发送的内容已保存，但暂未处理，需要的话请稍后重新发送。"
FLOOD_PRESS = "操作太频繁，请稍后再试"

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
    "solve_rate": "解决率",
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
ASSESS_PATROL_TITLE = "【巡查出勤】（每周不少于 {n} 日）"
ASSESS_PATROL_TOTAL = "合计：巡查 {patrols} 次，{hours} 小时，出勤 {credited_days}/{required_days} 日，出勤率 {rate}"
ASSESS_PATROL_LINE = "{name}：巡查 {days} 日，计入 {credited}/{required} 日（{rate}），{hours} 小时，{km} 公里，网格平均覆盖 {coverage}"
ASSESS_POINTS_RULE = (
    "积分规则: 每上报1件 +{report} 分 (撤销不计), 现场处置经网格长或调度员审核后另加 +{report_on_spot} 分,"
    " 每完成1次核查 +{verification} 分, 重复上报 {duplicate} 分"
)
ASSESS_WORKER_LINE = "{points} 分 (上报 {reports}, 现场处置 {on_spot}, 核查 {verifications}, 重复 {duplicates})"

# 通报: the period's report in the leaders' group (the scheduler makes it, the relay sends it)
BULLETIN_TITLE = "📊 <b>{period} 考核通报</b>"
BULLETIN_PERIOD = {"month": "{year}年{month}月", "week": "{year}年第{week}周"}
BULLETIN_VS = "（与{previous}相比）"
BULLETIN_FIGURES: dict[str, str] = {  # figure → its line; counts in 件, rates in %
    "reported": "受理 {value} 件",
    "to_handle": "应处置 {value} 件",
    "on_time_rate": "按期处置率 {value}",
    "handle_rate": "处置率 {value}",
    "solve_rate": "解决率 {value}",
    "satisfaction_rate": "满意率 {value}",
    "rework_rate": "返工率 {value}",
    "active_found_rate": "主动发现率 {value}",
}
BULLETIN_UP = "↑{diff}"
BULLETIN_DOWN = "↓{diff}"
BULLETIN_SAME = "持平"
BULLETIN_POINTS = "{value}个百分点"
BULLETIN_NEW = "上期无数据"
BULLETIN_CHANGE = "（{change}）"
BULLETIN_RANKING = {
    "unit_top": "🏆 单位前{n}：",
    "unit_bottom": "⚠️ 单位后{n}：",
    "grid_top": "🏆 网格前{n}：",
    "grid_bottom": "⚠️ 网格后{n}：",
}
BULLETIN_RANK_ITEM = "{place}. {name} {score}分"
BULLETIN_RANK_NONE = "（无）"
BULLETIN_INTERVIEW = "📌 约谈提醒（连续{months}个月排名靠后）：{names}"
BULLETIN_FILE = "考核通报-{label}.xlsx"
BULLETIN_FOOTER = "明细见附件 {file}。"

# -- Deadlines: reminders, escalation (督办), default rating ------------------------------
SCHED_REMINDER_NOTE = "处置时限已过{pct}%"
SCHED_ESCALATION_NOTE = "超期督办(第{step}级): {target}"
SCHED_NO_TARGET = "网格中心调度员"
SCHED_AUTO_CLOSE_NOTE = "超时未评价, 默认满意"


# ======================================================================================
# The admin console (admin/). Jinja autoescapes every value; templates read `T.key`.
# The admin console.
# ======================================================================================

ADMIN_ROLE_ZH: dict[str, str] = {"admin": "管理员", "dispatcher": "调度员", "viewer": "只读"}

ADMIN_ACTION_ZH: dict[str, str] = {
    "reported": "上报立案",
    "dispatched": "派遣",
    "reassigned": "改派",
    "triaged": "转待分拨",
    "accepted": "接单",
    "returned": "退回",
    "resolved": "处置完毕",
    "resolved_on_spot": "现场处置",
    "verified": "核查通过",
    "reopened": "返工",
    "rated": "群众评价",
    "closed": "结案",
    "cancelled": "作废",
    "extended": "延期",
    "recategorised": "更正类别",
    "amended": "工单内容更新",
    "linked_duplicate": "关联重复",
    "unlinked_duplicate": "取消重复",
    "duplicate_reported": "重复上报",
    "escalated": "升级督办",
    "reminded": "时限提醒",
    "reviewed": "现场处置审核",
}

ADMIN_ACTOR_ROLE_ZH: dict[str, str] = {"system": "系统", "supervisor": "监督员"}

ADMIN_CHANNEL_ZH: dict[str, str] = {
    "telegram": "Telegram",
    "sandbox": "沙盒",
    "admin": "管理后台",
    "cli": "命令行",
    "hotline": "12345热线",
    "open311": "Open311接口",
    "phone": "来电",
    "walk_in": "来访",
    "police_110": "110非警务",
    "system": "系统",
}

# The console intake's sources, in the order the form offers them (其他 is the console itself).
ADMIN_INTAKE_SOURCE_ZH: dict[str, str] = {
    "phone": "来电",
    "walk_in": "来访",
    "police_110": "110非警务",
    "admin": "其他",
}

ADMIN_INVITE_PURPOSE_ZH: dict[str, str] = {
    "unit_member": "单位人员加入",
    "grid_worker": "网格员加入",
    "bind_group": "绑定单位工作群",
}

ADMIN: dict[str, str] = {
    # -- frame, login ---------------------------------------------------------------------
    "app_title": "网格通 · 管理后台",
    "brand": "网格通",
    "brand_sub": "网格化管理后台",
    "nav_menu": "☰ 菜单",
    "nav_dashboard": "总览",
    "nav_cases": "案件",
    "nav_triage": "待分拨",
    "nav_assessment": "考核",
    "nav_deliveries": "投递失败",
    "nav_hotline": "12345工单",
    "nav_patrols": "日督导",
    "nav_intake": "新建案件",
    # -- the grid centre's own intake (新建案件) ----------------------------------------------
    "intake_title": "新建案件",
    "intake_hint": "为来电、来访或110非警务转来的群众登记案件；提交后按同样规则定位、派遣并通知责任单位。",
    "intake_text": "问题描述",
    "intake_source": "来源",
    "intake_caller_name": "反映人姓名（选填）",
    "intake_caller_phone": "联系电话（选填）",
    "intake_caller_private": "反映人信息仅调度员和管理员可见，不会发给处置单位。",
    "intake_category": "类别",
    "intake_category_pick": "请选择类别",
    "intake_suggest": "建议分类",
    "intake_suggested": "系统建议：{category}（置信度 {confidence}）",
    "intake_suggested_none": "系统无法判断类别，请手动选择。",
    "intake_no_model": "分类模型未加载，请手动选择类别。",
    "intake_emergency": "紧急（危及人身或财产安全）",
    "intake_place": "位置",
    "intake_place_hint": "在地图上点击设置位置，或填写地址（按地名库解析）。",
    "intake_address": "地址",
    "intake_lat": "纬度",
    "intake_lon": "经度",
    "intake_clear_pin": "清除定位",
    "intake_photos": "照片（选填，最多 {n} 张，每张不超过 {mb} MB）",
    "intake_submit": "提交案件",
    "intake_caller_unnamed": "{source}群众",
    "intake_ok": "案件 {number} 已登记：{where}。",
    "intake_ok_dispatched": "已派遣至{unit}",
    "intake_ok_triage": "已进入待分拨（{reason}）",
    "intake_ok_other": "当前状态：{status}",
    "intake_entered_by": "登记人",
    "intake_caller": "反映人",
    "intake_caller_phone_short": "电话",
    "intake_err_text_empty": "请填写问题描述。",
    "intake_err_text_long": "问题描述最长 4000 字，请精简后再提交。",
    "intake_err_source": "请选择来源。",
    "intake_err_category": "请选择有效的类别。",
    "intake_err_point": "位置坐标无效：纬度、经度须同时填写，且为有效数字。",
    "intake_err_caller_name": "反映人姓名最长 100 字。",
    "intake_err_caller_phone": "联系电话最长 40 个字符。",
    "intake_err_photo_type": "照片须为 JPEG、PNG、GIF、WebP 或 BMP 图片。",
    "intake_err_photo_size": "照片过大：每张不超过 {mb} MB。",
    "intake_err_photo_count": "照片最多 {n} 张。",
    "intake_err_form": "表单有误，请检查后重新提交：",
    # -- 日督导: patrols ------------------------------------------------------------------------
    "patrols_title": "日督导 · 网格巡查",
    "patrols_hint": "巡查中的网格员（地图为最新位置）、今日和本周未巡查的网格员、每日巡查记录。轨迹仅调度员和管理员可见。",
    "patrols_now": "正在巡查（{n} 人）",
    "patrols_none_now": "当前没有网格员在巡查。",
    "patrols_not_today": "今日未巡查（{n} 人）",
    "patrols_not_week": "本周未巡查（{n} 人）",
    "patrols_everyone": "全部已巡查。",
    "patrols_day": "{day} 巡查记录（{n} 次）",
    "patrols_day_empty": "当日没有巡查记录。",
    "patrols_prev": "← 前一天",
    "patrols_next": "后一天 →",
    "patrol_col_worker": "网格员",
    "assess_patrol_days": "巡查日数",
    "assess_patrol_credited": "计入/应巡（日）",
    "assess_patrol_rate": "出勤率",
    "assess_patrol_hours": "巡查时长（小时）",
    "assess_grid_attendance": "网格出勤率 · 单元网格",
    "patrol_col_start": "开始",
    "patrol_col_end": "结束",
    "patrol_col_minutes": "时长（分钟）",
    "patrol_col_km": "里程（公里）",
    "patrol_col_inside": "网格内时长（分钟）",
    "patrol_col_points": "轨迹点",
    "patrol_col_reports": "上报",
    "patrol_col_ok": "巡查无异常",
    "patrol_col_end_reason": "结束方式",
    "patrol_col_coverage": "覆盖率",
    "patrol_title": "巡查轨迹 · {name}",
    "patrol_play": "▶ 回放轨迹",
    "patrol_open": "巡查中",
    "patrol_track_deleted": "轨迹已超过保留期限，已删除；统计数据保留。",
    "patrol_missing": "没有这次巡查。",
    "patrol_on_spot": "现场处置",
    # -- 12345 hotline orders ----------------------------------------------------------------
    "hotline_title": "12345热线工单",
    "hotline_hint": "从12345系统导入的工单及其办理状态；咨询、建议、表扬类只记录，不派单。来电人信息不在此显示。",
    "hotline_empty": "还没有导入的工单。",
    "hotline_col_order": "工单编号",
    "hotline_col_received": "受理时间",
    "hotline_col_kind": "诉求类型",
    "hotline_col_text": "诉求内容",
    "hotline_col_status": "办理状态",
    "hotline_col_unit": "处置单位",
    "hotline_col_found": "非现场检查",
    "hotline_col_grid": "网格",
    "hotline_col_orders": "热线工单",
    "hotline_col_rate": "未主动发现率",
    "hotline_recorded": "已记录",
    "hotline_found_yes": "主动发现",
    "hotline_found_no": "未主动发现",
    "hotline_offsite_title": "非现场检查（{period}）",
    "hotline_offsite_hint": "热线工单受理前 {hours} 小时内，同一单元网格或 {metres} 米内有网格员上报同类问题，即为主动发现。",
    # -- notifications the relay gave up on ------------------------------------------------
    "deliveries_title": "投递失败的通知",
    "deliveries_hint": "对方屏蔽了机器人、群已解散或会话不存在时，通知不再重试。请电话联系对方，或修正单位群、人员后重新派单。",
    "deliveries_count": "共 {n} 条",
    "deliveries_empty": "没有投递失败的通知。",
    "deliveries_more": "只显示最近 {n} 条。",
    "deliveries_case_title": "未送达的通知",
    "deliveries_dispatch_group": "调度群",
    "deliveries_unknown_chat": "会话 {chat_id}",
    "col_recipient": "接收方",
    "col_notice": "通知",
    "col_error": "原因",
    "col_attempts": "尝试次数",
    "delivery_kind_unit_card": "派单卡片",
    "delivery_kind_card_update": "卡片更新",
    "delivery_kind_resident_notice": "进度通知",
    "delivery_kind_rate_request": "评价邀请",
    "delivery_kind_verify_task": "核查任务",
    "delivery_kind_triage_notice": "待分拨提醒",
    "delivery_kind_reminder": "超时提醒",
    "delivery_kind_escalation": "督办通知",
    "delivery_kind_group_notice": "换群通知",
    "nav_config": "配置",
    "nav_grids": "网格",
    "nav_units": "责任单位",
    "nav_members": "人员",
    "nav_invites": "邀请码",
    "nav_categories": "类别与时限",
    "nav_users": "后台账号",
    "logout": "退出",
    "login_title": "登录管理后台",
    "username": "用户名",
    "password": "密码",
    "login_button": "登录",
    "login_failed": "用户名或密码错误。",
    "login_throttled": "登录失败次数过多，请 {minutes} 分钟后再试。",
    "logged_out": "已退出登录。",
    "login_required": "请先登录。",
    "csrf_failed": "表单已过期或来源不明（缺少安全令牌），操作未执行。请刷新页面后重试。",
    "forbidden": "您的账号（{role}）无权执行此操作。",
    "not_found": "没有找到该页面或案件。",
    "error_title": "出错了",
    "back": "返回",
    "back_to_list": "返回列表",
    "none": "—",
    "yes": "是",
    "no": "否",
    # -- case list ----------------------------------------------------------------------------
    "cases_title": "案件列表",
    "cases_count": "共 {total} 件，当前第 {first}–{last} 件",
    "cases_empty": "没有符合条件的案件。",
    "f_status": "状态",
    "f_all": "全部",
    "f_open": "在办（未终结）",
    "f_final": "已终结",
    "f_category": "类别",
    "f_grid": "网格（含下级）",
    "f_unit": "责任单位",
    "f_overdue": "仅超期",
    "f_emergency": "仅紧急",
    "f_from": "上报日期从",
    "f_to": "至",
    "f_q": "关键词",
    "f_q_placeholder": "编号、描述或地点",
    "f_apply": "筛选",
    "f_reset": "清除条件",
    "export_csv": "导出 CSV",
    "export_xlsx": "导出 Excel",
    "page_newer": "‹ 较新",
    "page_older": "较旧 ›",
    "page_first": "« 最新",
    "col_number": "编号",
    "col_created": "上报时间",
    "col_category": "类别",
    "col_grid": "网格",
    "col_unit": "责任单位",
    "col_status": "状态",
    "col_due": "处置时限",
    "col_description": "问题描述",
    "col_address": "地点",
    "col_reason": "分拨原因",
    "col_actions": "分拨",
    "badge_overdue": "超期",
    "badge_emergency": "紧急",
    "badge_rework": "返工{n}",
    "unassigned": "未分派",
    "no_grid": "未定位",
    # -- export columns (the case list) -----------------------------------------------------
    "x_grid_path": "网格路径",
    "x_emergency": "紧急",
    "x_overdue": "超期",
    "x_dispatched": "派遣时间",
    "x_resolved": "处置时间",
    "x_closed": "结案时间",
    "x_rework": "返工次数",
    "x_extension": "延期次数",
    "x_returned": "退回次数",
    "x_rating": "评价",
    "x_reporter_role": "上报人身份",
    "x_channel": "渠道",
    "x_lat": "纬度",
    "x_lon": "经度",
    "x_sheet_cases": "案件",
    # -- one case -------------------------------------------------------------------------------
    "case_title": "案件 {number}",
    "reporter": "上报人",
    "channel": "渠道",
    "address": "地点",
    "coords": "坐标",
    "priority": "优先级",
    "created": "上报时间",
    "dispatched": "派遣时间",
    "due": "处置时限",
    "resolved": "处置时间",
    "closed": "结案时间",
    "rating": "群众评价",
    "counts": "返工 {rework} 次 · 延期 {extension} 次 · 退回 {returned} 次",
    "nlu_confidence": "自动分类置信度",
    "duplicate_of": "重复于",
    "grid_path": "所属网格",
    "photos": "照片",
    "photo_report": "上报照片",
    "photo_result": "处置照片",
    "photo_unavailable": "照片暂不可取",
    "timeline": "处理过程",
    "timeline_empty": "没有事件记录。",
    "transcript": "对话记录",
    "transcript_empty": "没有与此案件关联的对话。",
    "msg_in": "收到",
    "msg_out": "机器人",
    "msg_button": "按下按钮",
    "msg_with_buttons": "附按钮（此条记录未保存按钮文字）",
    "msg_location": "位置 {lat}, {lon}",
    "msg_kind_other": "[{kind}]",
    "msg_pressed": "按下「{label}」",
    "msg_button_unknown": "按钮",
    "msg_someone": "用户 {id}",
    "msg_to": "发给 {who}",
    "conv_unit": "「{unit}」工作群",
    "conv_dispatch_group": "调度群",
    "conv_reporter": "{role} {name}（上报人）",
    "conv_person": "{role} {name}",
    "conv_other": "对话 {id}",
    "conv_count": "{n} 条",
    "actor_system": "系统",
    "actor_unknown": "成员 #{id}",
    "actions": "操作",
    "readonly_hint": "只读账号可以查看和导出，不能操作案件。",
    "act_reassign": "派遣 / 改派",
    "act_unit": "派往单位",
    "act_also_category": "同时更正类别",
    "act_keep_category": "（不变）",
    "act_note": "说明",
    "act_recategorise": "更正类别",
    "act_recategorise_hint": "更正会记录为 NLU 训练样本。",
    "act_extend": "延期",
    "act_hours": "延长（小时）",
    "act_reason": "原因（必填）",
    "act_close": "结案",
    "act_close_hint": "仅适用于已处置或核查通过的案件。",
    "act_cancel": "作废",
    "act_cancel_confirm": "确定作废此案件？此操作不可撤销。",
    "act_submit": "提交",
    "ok_reassigned": "案件 {number} 已派遣至「{unit}」，时限 {due}。",
    "ok_recategorised": "案件 {number} 的类别已更正为「{category}」。",
    "ok_extended": "案件 {number} 已延期，新时限 {due}。",
    "ok_closed": "案件 {number} 已结案。",
    "ok_cancelled": "案件 {number} 已作废。",
    "case_map": "位置",
    "case_map_label": "案件位置与所在网格",
    "act_merge": "合并为重复",
    "act_merge_into": "主案件编号",
    "act_merge_hint": "此案件与另一件未办结的案件是同一问题：上报人改为关注主案件，此案件按重复上报结案，两边的处理记录都会注明。",
    "act_merge_confirm": "确定把此案件合并到主案件？此案件将按重复上报结案。",
    "ok_merged": "案件 {number} 已合并到 {into}（按重复上报结案）。",
    "err_merge_number": "请填写主案件编号。",
    "err_merge_unknown": "没有编号为 {number} 的案件。",
    "act_unlink": "取消重复关联",
    "act_unlink_hint": "此案件其实是另一个问题：取消关联后转入待分拨，上报人不再关注主案件。",
    "ok_unlinked": "案件 {number} 已取消重复关联，转入待分拨。",
    "err_prefix": "操作未完成：",
    "err_not_authorised": "无权执行此操作。",
    "err_illegal": "案件当前状态为「{old}」，不能{action}。",
    "err_reason_required": "请填写原因。",
    "err_hours": "延长小时数须为 1–720 之间的数字。",
    "err_no_member": "您的账号没有关联成员，不能操作案件。请管理员用 gridbot admin create-user 重新创建。",
    "err_concurrent": "案件刚被其他人修改，请刷新后重试。",
    "err_unknown_unit": "未知的责任单位。",
    "err_unknown_category": "未知的类别。",
    "err_same_category": "类别没有变化。",
    # -- triage -----------------------------------------------------------------------------------
    "triage_title": "待分拨队列",
    "triage_hint": "单位退回、无法定位或无人负责的案件。选择单位（必要时更正类别）即派遣。",
    "triage_empty": "待分拨队列为空。",
    "triage_count": "共 {n} 件待分拨",
    "triage_dispatch": "派遣",
    "triage_returned_by": "「{unit}」退回",
    "triage_returned_who": "（{name}，{at}）",
    "triage_return_reason": "理由：{reason}",
    "triage_candidates": "按规则可派",
    "triage_other_units": "其他单位",
    "triage_just_returned": "{unit}（刚退回）",
    "triage_confirm_return": "确认派回退回单位",
    "triage_return_warning": "案件 {number} 刚被「{unit}」退回（理由：{reason}）。确需派回该单位，请勾选「确认派回退回单位」后再派遣。",
    "triage_return_confirm_js": "此案件刚被「{unit}」退回（理由：{reason}）。确定仍派回该单位吗？",
    # -- dashboard ------------------------------------------------------------------------------
    "dash_title": "总览",
    "dash_month": "月份",
    "dash_level": "网格层级",
    "dash_show": "查看",
    "kpi_reported": "上报案件",
    "kpi_on_time": "按期办结率",
    "kpi_rework": "返工率",
    "kpi_satisfaction": "满意率",
    "kpi_proactive": "主动发现率",
    "kpi_handled": "处置率",
    "kpi_open": "当前在办",
    "kpi_overdue": "当前超期",
    "kpi_triage": "待分拨",
    "kpi_of": "{n} / {d}",
    "chart_by_day": "每日上报量",
    "chart_by_category": "按类别",
    "chart_by_grid": "按网格（{level}）",
    "chart_cases": "{n} 件",
    "map_title": "案件分布图",
    "map_hint": "网格颜色越深，本月上报越多；圆点为当前在办案件，红色为超期。",
    "map_legend_open": "在办",
    "map_legend_overdue": "超期",
    "ranking_units": "责任单位排名（综合得分）",
    "ranking_grids": "网格排名（综合得分）",
    "top3": "前三",
    "bottom3": "后三",
    "no_data": "本期无数据",
    "score": "得分",
    # -- assessment --------------------------------------------------------------------------
    "assess_title": "考核报表",
    "assess_points_title": "网格员积分",
    "assess_export_csv": "导出 CSV",
    "assess_export_xlsx": "导出 Excel",
    "assess_period": "周 / 季度 / 年",
    "assess_period_bad": "“{value}”不是可识别的周期（如 2026-W48、2026-Q4、2026），已显示本月。",
    "assess_bull": "奔牛（季度前列）",
    "assess_snail": "蜗牛（季度后列）",
    "assess_top_grids": "十佳网格",
    "assess_interview": "约谈提醒",
    "assess_col_worker": "网格员",
    "assess_col_points": "积分",
    "assess_col_reports": "上报",
    "assess_col_on_spot": "现场处置",
    "assess_col_verifications": "核查",
    "assess_col_duplicates": "重复",
    "assess_sheet_total": "总体",
    "assess_sheet_units": "责任单位",
    "assess_sheet_grids": "网格",
    "assess_sheet_workers": "网格员积分",
    "assess_sheet_ranking": "前三后三",
    "assess_ranking_kind": "排名",
    "assess_ranking_place": "名次",
    # -- configuration ------------------------------------------------------------------------
    "grids_title": "网格",
    "grids_hint": "共 {n} 个网格。点击地图上的网格查看名称。",
    "grid_id": "编码",
    "grid_name": "名称",
    "grid_level": "层级",
    "grid_children": "下级",
    "grid_places": "地名",
    "units_title": "责任单位",
    "unit_id": "编码",
    "unit_name": "名称",
    "unit_kind": "类型",
    "unit_categories": "负责类别",
    "unit_grids": "负责网格",
    "unit_chat": "工作群",
    "unit_chat_unbound": "未绑定",
    "unit_active": "启用",
    "unit_all_categories": "全部类别（兜底）",
    "unit_open": "在办",
    "members_title": "人员",
    "members_count": "共 {n} 人",
    "member_name": "姓名",
    "member_tg": "Telegram ID",
    "member_roles": "角色",
    "member_scope": "网格 / 单位",
    "member_blocked": "已屏蔽机器人",
    "member_console": "后台账号",
    "invites_title": "邀请码",
    "invites_hint": "把邀请码发给对方：在与机器人的私聊中发送 /start 邀请码 加入；绑定工作群时在群里发送 /bind 绑定码。有效期 7 天，只能使用一次。",
    "invites_hidden": "邀请码和绑定码只有管理员可以查看和生成（持有未使用的码即可加入单位或绑定工作群）。",
    "invite_purpose": "用途",
    "invite_target": "单位 / 网格",
    "invite_create": "生成邀请码",
    "invite_code": "邀请码",
    "invite_how": "用法",
    "invite_created": "创建时间",
    "invite_expires": "有效期至",
    "invite_state": "状态",
    "invite_unused": "未使用",
    "invite_used": "已使用（{who}）",
    "invite_expired": "已过期",
    "invite_ok": "已生成邀请码 {code}",
    "invite_link": "链接",
    "categories_title": "类别与处置时限",
    "categories_note": "时限默认来自 taxonomy.yaml，管理员可在「处置规则」中修改（含单位覆盖、优先级系数与工作时历），保存后新派遣的案件立即生效。紧急案件时限乘以优先级系数。",
    "cat_id": "编码",
    "cat_name": "名称",
    "cat_description": "说明",
    "cat_unit_kind": "默认单位类型",
    "cat_hours": "时限（小时）",
    "cat_overrides": "单位覆盖",
    "cat_priority": "优先级系数",
    "cat_units": "负责单位",
    "users_title": "后台账号",
    "user_display_name": "显示名",
    "user_role": "角色",
    "user_member": "关联成员",
    "user_state": "状态",
    "user_active": "启用",
    "user_inactive": "已停用",
    "user_last_login": "最近登录",
    "user_create": "新建账号",
    "user_link_tg": "关联已有调度员 Telegram ID（可选）",
    "user_disable": "停用",
    "user_enable": "启用",
    "user_created": "已创建账号 {username}。",
    "user_updated": "账号状态已更新。",
    "user_self": "不能停用自己的账号。",
}

# -- Triage (待分拨) -------------------------------------------------------------------------
TRIAGE_UNCERTAIN = "分类不确定, 待调度员分拨"
AMENDED_NOTE = "来源重新报送, 内容已更新"
DUPLICATE_UNLINKED_NOTE = "取消重复关联"

# -- Console: editing units and members ---------------------------------------------------
ADMIN.update({
    "cfg_edit": "编辑",
    "cfg_save": "保存",
    "cfg_cancel": "返回",
    "cfg_member_edit": "编辑成员",
    "cfg_unit_edit": "编辑责任单位",
    "cfg_member_hint": "网格员须选择负责网格，单位成员须选择所属单位；去掉角色时其网格或单位一并清除。",
    "cfg_unit_hint": "修改负责类别或网格时会检查分拨规则：同一网格同一类别不能有两个单位，否则拒绝保存。停用的单位不再接收新案件。",
    "cfg_unit_active": "启用",
    "cfg_unknown": "未知的{kind}：{ids}",
    "cfg_no_member": "没有这个成员",
    "cfg_no_unit": "没有这个责任单位",
    "cfg_console_staff": "该成员关联后台账号 {username}，必须保留调度员或管理员角色",
    "cfg_unit_name": "单位名称不能为空，最长 200 个字符",
    "cfg_chat_id": "Telegram 群 ID 必须是整数",
    "cfg_chat_taken": "该 Telegram 群已绑定到 {unit}",
    "cfg_member_saved": "已保存成员 {name}。",
    "cfg_unit_saved": "已保存责任单位 {name}，分拨规则已重新加载。",
    "cfg_moves": "换群申请",
    "cfg_moves_hint": "有人在另一个 Telegram 群发送了 /bind。批准后本单位的案件改发到新群，原群会收到通知；"
    "拒绝后申请的群会收到通知。请先与单位核实。",
    "cfg_move_when": "申请时间",
    "cfg_move_by": "申请人 Telegram ID",
    "cfg_move_from": "现工作群",
    "cfg_move_to": "申请改为",
    "cfg_move_approve": "批准换群",
    "cfg_move_reject": "拒绝",
    "cfg_move_bad": "无效的操作",
    "cfg_move_gone": "该换群申请已处理或不存在",
    "cfg_move_approved": "已批准：本单位的工作群已改为 {chat}，原群和新群都会收到通知。",
    "cfg_move_rejected": "已拒绝改为群 {chat} 的申请，申请的群会收到通知。",
})

# -- Console: the closed-loop policy (处置规则) and the configuration audit log -----------------
ADMIN.update({
    "nav_policy": "处置规则",
    "nav_audit": "变更记录",
    "pol_title": "处置规则",
    "pol_hint": "时限、提醒、督办、核查、评价与重复上报的规则。保存后本进程立即生效，其他进程（机器人、调度）约 15 秒内自动加载；每次修改都记入变更记录。也可用 gridbot policy import/export 以 YAML 文件管理。",
    "pol_version": "配置版本 {version}",
    "pol_cat_section": "类别处置时限（小时）",
    "pol_cat_hint": "留空或与默认值相同即采用 taxonomy.yaml 的默认时限。",
    "pol_default": "默认 {hours}",
    "pol_overrides": "单位覆盖（小时）",
    "pol_overrides_hint": "某单位全部类别（选「全部类别」）或某单位某类别的时限，优先于类别时限；小时数留空即删除该行。",
    "pol_ov_unit": "责任单位",
    "pol_ov_category": "类别",
    "pol_ov_all": "全部类别",
    "pol_ov_hours": "小时",
    "pol_factors": "优先级系数",
    "pol_factors_hint": "时限 × 系数：紧急案件只给正常时限的一部分。",
    "pol_calendar": "计时方式",
    "pol_mode_around": "全天候（自然小时）",
    "pol_mode_working": "工作时（只计上班时间）",
    "pol_opens": "上班",
    "pol_closes": "下班",
    "pol_holidays": "节假日（每行一个日期，如 2026-10-01）",
    "pol_extra_workdays": "调休上班日（每行一个日期）",
    "pol_reminders": "超时提醒与督办",
    "pol_reminder_shares": "提醒时点（占时限的百分比，逗号分隔，如 50, 80）",
    "pol_levels": "逐级督办（超期后依次上报）",
    "pol_level_3": "社区",
    "pol_level_2": "街道",
    "pol_level_1": "县网格中心",
    "pol_interval": "督办间隔（小时，留空 = 再给一个时限）",
    "pol_verification": "核查与评价",
    "pol_require_verification": "结案前须网格员核查（不勾选则群众评价即结案）",
    "pol_verification_timeout": "等待核查最长（小时，留空 = 一直等待）",
    "pol_rating_timeout": "群众未评价时自动结案（小时）",
    "pol_default_rating": "默认评价",
    "pol_duplicates": "重复上报",
    "pol_dup_enabled": "自动关联重复上报",
    "pol_dup_distance": "距离（米）",
    "pol_dup_window": "时间窗口（小时）",
    "pol_dup_similarity": "文本相似度下限（0–1）",
    "pol_patrol": "巡查（日巡查、电子围栏、出勤、轨迹保留）",
    "pol_retention": "个人信息匿名化",
    "pol_retention_enabled": "案件结束后自动匿名化居民个人信息",
    "pol_retention_days": "案件结束多少天后匿名化（天，不超过 3650）",
    "pol_field_error": "此项有误：{message}",
    "pol_assessment": "考核积分与权重",
    "pol_pts_report": "每上报1件（分）",
    "pol_pts_report_on_spot": "现场处置审核后另加（分）",
    "pol_pts_verification": "每次核查（分）",
    "pol_pts_duplicate": "重复上报（分，负数扣分）",
    "pol_unit_weights": "单位得分权重（指标:权重，负数表示越低越好）",
    "pol_grid_weights": "网格得分权重（指标:权重，负数表示越低越好）",
    "pol_ranking_size": "每月排名前后各取（个）",
    "pol_label_size": "季度奔牛/蜗牛各取（个）",
    "pol_top_grids": "年度十佳网格（个）",
    "pol_interview_months": "连续几个月排名靠后列入约谈",
    "pol_bulletin": "考核通报（发送到领导群）",
    "pol_bulletin_chat": "领导群（Telegram 群 ID，留空不发）",
    "pol_bulletin_every": "通报周期",
    "pol_bulletin_every_week": "每周（通报上一周）",
    "pol_bulletin_every_month": "每月（通报上一月）",
    "pol_bulletin_weekday": "每周星期几（1–7）",
    "pol_bulletin_day": "每月几号（1–28）",
    "pol_bulletin_time": "发送时间（时:分）",
    "pol_saved": "处置规则已保存（配置版本 {version}），新派遣的案件按新规则计算时限。",
    "pol_conflict": "处置规则刚被其他人修改，请刷新页面后重新填写。",
    "pol_error": "未保存：{message}",
    "audit_title": "配置变更记录",
    "audit_hint": "处置规则、责任单位、成员的修改与导入，最新的在前。",
    "audit_at": "时间",
    "audit_who": "操作人",
    "audit_what": "对象",
    "audit_changes": "变更内容",
    "audit_version": "配置版本",
    "audit_details": "修改前 / 修改后",
    "audit_before": "修改前",
    "audit_after": "修改后",
    "audit_empty": "还没有配置变更记录。",
    "audit_count": "共 {total} 条，第 {page} / {pages} 页",
})

AUDIT_ACTOR_ZH = {"admin": "后台", "cli": "命令行", "telegram": "Telegram", "system": "系统"}
AUDIT_OBJECT_ZH = {
    "policy": "处置规则",
    "unit": "责任单位",
    "member": "成员",
    "grids": "网格导入",
    "units": "单位导入",
    "members": "人员导入",
    "unit_chat": "工作群迁移",
    "retention": "个人信息匿名化",
    "unit_chat_move": "换群申请",
}
# The audit log in words: one line per change, "<setting>：<before> → <after>".
AUDIT_CHANGE_ZH = "{field}：{before} → {after}"
AUDIT_ADDED_ZH = "新增{what}"
AUDIT_NOT_SET_ZH = "（未设）"
AUDIT_YES_NO_ZH = {True: "是", False: "否"}
AUDIT_LIST_SEP_ZH = "、"
AUDIT_IMPORT_ZH = "导入：{counts}"
AUDIT_COUNT_ZH = {
    "grids": "网格 {n} 个",
    "units": "责任单位 {n} 个",
    "members": "人员 {n} 人",
    "created": "新增 {n}",
    "updated": "更新 {n}",
    "level1": "县级 {n}",
    "level2": "街道 {n}",
    "level3": "社区 {n}",
    "level4": "单元网格 {n}",
}
AUDIT_UNIT_FIELD_ZH = {
    "name": "名称",
    "kind": "类型",
    "chat_id": "工作群",
    "active": "启用",
    "categories": "负责类别",
    "grids": "负责网格",
}
AUDIT_MEMBER_FIELD_ZH = {
    "id": "编号",
    "name": "姓名",
    "tg_id": "Telegram 账号",
    "roles": "角色",
    "grids": "负责网格",
    "units": "所属单位",
}
AUDIT_MOVE_FIELD_ZH = {
    "unit": "责任单位",
    "from_chat_id": "原工作群",
    "to_chat_id": "新工作群",
    "requested_by": "申请人",
    "state": "状态",
}
AUDIT_MOVE_STATE_ZH = {"pending": "待审批", "approved": "已批准", "rejected": "已驳回"}
AUDIT_UNIT_OF_ZH = "「{unit}」{field}"
AUDIT_CHAT_ZH = "群 {chat_id}"

# Policy validation in the console: "<field>：<problem>" (the CLI prints the English twin).
POLICY_FIELD_ZH = {
    "policy": "处置规则",
    "time_limits": "时限",
    "time_limits.categories": "类别时限",
    "time_limits.units": "单位时限",
    "time_limits.unit_categories": "单位覆盖",
    "time_limits.priority_factors": "优先级系数",
    "calendar": "计时方式",
    "calendar.mode": "计时方式",
    "calendar.opens": "上班时间",
    "calendar.closes": "下班时间",
    "calendar.holidays": "节假日",
    "calendar.extra_workdays": "调休上班日",
    "reminders": "超时提醒",
    "reminders.shares": "提醒时点",
    "escalation": "督办",
    "escalation.levels": "逐级督办",
    "escalation.interval_hours": "督办间隔",
    "verification": "核查",
    "verification.required": "须核查",
    "verification.timeout_hours": "等待核查时长",
    "rating": "评价",
    "rating.timeout_hours": "自动结案时长",
    "rating.default": "默认评价",
    "duplicates": "重复上报",
    "duplicates.enabled": "自动关联重复上报",
    "duplicates.distance_m": "重复上报距离",
    "duplicates.window_hours": "重复上报时间窗口",
    "duplicates.min_similarity": "文本相似度下限",
    "assessment.points": "积分规则",
    "assessment.points.report": "积分规则·每上报1件",
    "assessment.points.report_on_spot": "积分规则·现场处置审核后另加",
    "assessment.points.verification": "积分规则·每次核查",
    "assessment.points.duplicate": "积分规则·重复上报",
    "assessment.unit_weights": "单位得分权重",
    "assessment.grid_weights": "网格得分权重",
    "patrol": "巡查",
    "patrol.max_hours": "巡查最长时长",
    "patrol.max_speed_kmh": "巡查轨迹速度上限",
    "patrol.max_points": "每次巡查轨迹点上限",
    "patrol.outside_minutes": "离开网格告警时长",
    "patrol.stale_minutes": "位置未更新告警时长",
    "patrol.weekly_days": "每周巡查天数要求",
    "patrol.min_day_minutes": "计为巡查日的最短时长",
    "patrol.coverage_radius_m": "覆盖半径",
    "patrol.digest_time": "日督导消息时间",
    "patrol.retention_days": "轨迹保留天数",
    "retention.enabled": "个人信息匿名化",
    "retention.anonymise_after_days": "个人信息匿名化期限（天）",
    "assessment.ranking_size": "每月排名前后各取",
    "assessment.label_size": "季度奔牛/蜗牛各取",
    "assessment.top_grids": "年度十佳网格个数",
    "assessment.interview_months": "约谈连续月数",
    "assessment.bulletin": "考核通报",
    "assessment.bulletin.chat_id": "考核通报·领导群",
    "assessment.bulletin.every": "考核通报·周期",
    "assessment.bulletin.weekday": "考核通报·星期几",
    "assessment.bulletin.day": "考核通报·每月几号",
    "assessment.bulletin.time": "考核通报·发送时间",
}
POLICY_CATEGORY_HOURS_ZH = "「{category}」的时限"
POLICY_UNIT_HOURS_ZH = "「{unit}」全部类别的时限"
POLICY_UNIT_CATEGORY_ZH = "「{unit}」·「{category}」的时限"
POLICY_FACTOR_ZH = "优先级系数「{priority}」"
POLICY_ERRORS_ZH = {
    "document": "格式不对，应为按章节组织的映射",
    "unknown_field": "未知的设置项",
    "mapping": "格式不对，应为映射",
    "list": "格式不对，应为列表",
    "bool": "须为是或否",
    "hours": "须为大于 0、不超过 {max:g} 的小时数",
    "days": "须为大于 0、不超过 {max:g} 的天数",
    "factor": "须为大于 0、不超过 {max:g} 的数",
    "share": "须在 0% 与 100% 之间（不含两端）",
    "fraction": "须为 0 到 1 之间的数",
    "distance": "须为大于 0、不超过 {max:g} 的米数",
    "increasing": "须从小到大排列、不能重复",
    "unknown_category": "未知的类别 {id}",
    "unknown_unit": "未知的责任单位 {id}",
    "unknown_priority": "未知的优先级 {id}",
    "mode": "只能是全天候或工作时",
    "time": "须为 时:分 格式，如 08:30",
    "date": "须为日期，如 2026-10-01",
    "closes": "须晚于上班时间",
    "both_days": "{day} 不能既是节假日又是调休上班日",
    "level": "只能依次选择社区、街道、县网格中心，每级一次",
    "rating": "须为满意、基本满意或不满意",
    "duplicate": "重复填写",
    "points": "应为 -{max} 到 {max} 之间的整数分",
    "weight": "应为 -100 到 100 之间的整数（负数表示越低越好）",
    "positive": "须为大于 0、不超过 {max:g} 的数",
    "range": "应为 {min} 到 {max} 之间的整数",
    "count": "应为 1 到 {max} 之间的整数",
    "every": "只能是每周或每月",
    "chat": "应为 Telegram 群 ID（整数），或留空",
}
