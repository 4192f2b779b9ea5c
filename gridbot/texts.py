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
