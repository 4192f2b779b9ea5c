"""The policy page's form: a stored policy → form values, posted values → a policy document
(validated by `dispatch.domain.policy.parse_policy`), and a PolicyError → one line of Chinese."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import texts
from dispatch.domain.policy import (
    AROUND_THE_CLOCK,
    ASSESSMENT_SIZES,
    PATROL_FIELDS,
    POINT_RULES,
    PRIORITIES,
    Policy,
    PolicyError,
    policy_to_doc,
)
from dispatch.domain.taxonomy import Taxonomy
from dispatch.service.registry import Registry

ALL = "*"  # an override row for all of a unit's categories
BLANK_ROWS = 3
SCALARS = (
    "pf_normal",
    "pf_urgent",
    "pf_emergency",
    "cal_mode",
    "cal_opens",
    "cal_closes",
    "cal_holidays",
    "cal_extra",
    "rem_shares",
    "esc_interval",
    "ver_required",
    "ver_timeout",
    "rat_timeout",
    "rat_default",
    "dup_enabled",
    "dup_distance",
    "dup_window",
    "dup_similarity",
    *(f"pts_{k}" for k in POINT_RULES),
    "w_units",
    "w_grids",
    *(f"pat_{k}" for k in PATROL_FIELDS),
    *(f"as_{k}" for k in ASSESSMENT_SIZES),
    "bul_chat",
    "bul_every",
    "bul_weekday",
    "bul_day",
    "bul_time",
    "ret_enabled",
    "ret_days",
)
# The form's input for a policy field, where an error is shown next to it.
FIELD_INPUTS = {
    "retention.enabled": "ret_enabled",
    "retention.anonymise_after_days": "ret_days",
    **{f"patrol.{k}": f"pat_{k}" for k in PATROL_FIELDS},
}
_SPLIT = re.compile(r"[\s,，、;；]+")


class FormLike(Protocol):
    def get(self, key: str, /) -> Any: ...
    def getlist(self, key: str) -> list[Any]: ...


@dataclass
class PolicyForm:
    values: dict[str, str]  # the scalar fields by name ("1"/"" for checkboxes)
    categories: dict[str, str]  # category id → hours as typed
    overrides: list[tuple[str, str, str]]  # (unit id, category id or "*", hours)
    levels: list[int] = field(default_factory=list)
    version: int | None = None


def _g(value: float) -> str:
    return f"{value:g}"


def _join_dates(days: Iterable[Any]) -> str:
    return "\n".join(d.isoformat() for d in sorted(days))


def _weights_text(weights: Mapping[str, int]) -> str:
    return ", ".join(f"{k}:{w}" for k, w in weights.items())


def _weights(text: str) -> dict[str, Any]:
    """`handle_rate:30, rework_rate:-20` → a mapping (bad entries are left for the validation)."""
    out: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in _SPLIT.split(text))):
        key, _, value = part.partition(":")
        n = _number(value)
        out[key] = int(n) if isinstance(n, float) and n.is_integer() else n
    return out


def from_policy(policy: Policy, taxonomy: Taxonomy, version: int) -> PolicyForm:
    dl, cal, dup = policy.deadlines, policy.calendar, policy.duplicates
    bul = policy.assessment.bulletin
    factors = {name: policy.priority_factors.get(p, 1.0) for name, p in PRIORITIES.items()}
    values = {
        **{f"pf_{name}": _g(f) for name, f in factors.items()},
        "cal_mode": "working_hours" if cal.working_hours else AROUND_THE_CLOCK,
        "cal_opens": cal.opens.strftime("%H:%M"),
        "cal_closes": cal.closes.strftime("%H:%M"),
        "cal_holidays": _join_dates(cal.holidays),
        "cal_extra": _join_dates(cal.extra_workdays),
        "rem_shares": ", ".join(_g(round(s * 100, 6)) for s in dl.reminder_shares),
        "esc_interval": "" if dl.escalation_interval_hours is None else _g(dl.escalation_interval_hours),
        "ver_required": "1" if policy.require_verification else "",
        "ver_timeout": "" if dl.verification_timeout_hours is None else _g(dl.verification_timeout_hours),
        "rat_timeout": _g(dl.rating_timeout_hours),
        "rat_default": dl.default_rating,
        "dup_enabled": "1" if dup.enabled else "",
        "dup_distance": _g(dup.distance_m),
        **{f"pts_{k}": str(n) for k, n in policy.assessment.points.items()},
        "w_units": _weights_text(policy.assessment.unit_weights),
        "w_grids": _weights_text(policy.assessment.grid_weights),
        **{f"as_{k}": str(getattr(policy.assessment, k)) for k in ASSESSMENT_SIZES},
        "bul_chat": "" if bul.chat_id is None else str(bul.chat_id),
        "bul_every": bul.every,
        "bul_weekday": str(bul.weekday),
        "bul_day": str(bul.day),
        "bul_time": bul.at.strftime("%H:%M"),
        "dup_window": _g(dup.window_hours),
        "dup_similarity": _g(dup.min_similarity),
        **{f"pat_{k}": str(v) for k, v in policy_to_doc(policy)["patrol"].items()},
        "ret_enabled": "1" if policy.retention.enabled else "",
        "ret_days": _g(policy.retention.anonymise_after_days),
    }
    cats = {c.id: _g(policy.category_hours.get(c.id, c.sla_hours)) for c in taxonomy.categories}
    overrides = [(u, ALL, _g(h)) for u, h in sorted(policy.unit_hours.items())]
    overrides += [(u, c, _g(h)) for (u, c), h in sorted(policy.unit_category_hours.items())]
    return PolicyForm(values, cats, overrides, list(dl.escalation_levels), version)


def from_post(form: FormLike, taxonomy: Taxonomy) -> PolicyForm:
    values = {k: str(form.get(k) or "").strip() for k in SCALARS}
    cats = {c.id: str(form.get(f"cat__{c.id}") or "").strip() for c in taxonomy.categories}
    rows = zip(form.getlist("ov_unit"), form.getlist("ov_cat"), form.getlist("ov_hours"), strict=False)
    overrides = [(str(u).strip(), str(c).strip(), str(h).strip()) for u, c, h in rows]
    levels = []
    for raw in form.getlist("esc_levels"):
        try:
            levels.append(int(raw))
        except ValueError:
            levels.append(-1)  # refused by the validation, with the field named
    try:
        version: int | None = int(form.get("version") or "")
    except ValueError:
        version = None
    return PolicyForm(values, cats, overrides, sorted(levels, reverse=True), version)


def _number(text: str) -> Any:
    """A number when it is one; otherwise the text itself, for the validation to refuse."""
    try:
        return float(text)
    except ValueError:
        return text


def _shares(text: str) -> list[Any]:
    out: list[Any] = []
    for part in filter(None, _SPLIT.split(text.replace("%", " "))):
        n = _number(part)
        out.append(n / 100 if isinstance(n, float) else n)
    return out


def to_doc(f: PolicyForm, taxonomy: Taxonomy) -> dict[str, Any]:
    """The policy document the form describes (only category hours that differ from the
    taxonomy become overrides)."""
    v = f.values
    cats: dict[str, Any] = {}
    for c in taxonomy.categories:
        text = f.categories.get(c.id, "")
        if text and _number(text) != c.sla_hours:
            cats[c.id] = _number(text)
    units: dict[str, Any] = {}
    pairs: dict[str, dict[str, Any]] = {}
    for unit, cat, hours in f.overrides:
        if not unit or not hours:
            continue  # an empty row, or a row being deleted
        if cat in ("", ALL):
            if unit in units:
                raise PolicyError(f"time_limits.units.{unit}", "duplicate")
            units[unit] = _number(hours)
        else:
            if cat in pairs.get(unit, {}):
                raise PolicyError(f"time_limits.unit_categories.{unit}.{cat}", "duplicate")
            pairs.setdefault(unit, {})[cat] = _number(hours)
    factors = {name: _number(v[f"pf_{name}"]) for name in PRIORITIES if v.get(f"pf_{name}")}
    calendar: dict[str, Any] = {"mode": v.get("cal_mode") or AROUND_THE_CLOCK}
    for key, name in (("opens", "cal_opens"), ("closes", "cal_closes")):
        if v.get(name):
            calendar[key] = v[name]
    calendar["holidays"] = list(filter(None, _SPLIT.split(v.get("cal_holidays", ""))))
    calendar["extra_workdays"] = list(filter(None, _SPLIT.split(v.get("cal_extra", ""))))

    def optional(name: str) -> Any:
        return _number(v[name]) if v.get(name) else None

    doc: dict[str, Any] = {
        "time_limits": {
            "categories": cats,
            "units": units,
            "unit_categories": pairs,
            "priority_factors": factors,
        },
        "calendar": calendar,
        "reminders": {"shares": _shares(v.get("rem_shares", ""))},
        "escalation": {"levels": list(f.levels), "interval_hours": optional("esc_interval")},
        "verification": {"required": v.get("ver_required") == "1", "timeout_hours": optional("ver_timeout")},
        "rating": {"timeout_hours": optional("rat_timeout"), "default": v.get("rat_default") or None},
        "duplicates": {
            "enabled": v.get("dup_enabled") == "1",
            "distance_m": optional("dup_distance"),
            "window_hours": optional("dup_window"),
            "min_similarity": optional("dup_similarity"),
        },
        "assessment": {
            "points": {k: _whole(v[f"pts_{k}"]) for k in POINT_RULES if v.get(f"pts_{k}")},
            "unit_weights": _weights(v.get("w_units", "")),
            "grid_weights": _weights(v.get("w_grids", "")),
            **{k: _whole(v[f"as_{k}"]) for k in ASSESSMENT_SIZES if v.get(f"as_{k}")},
            "bulletin": {
                "chat_id": v.get("bul_chat") or None,
                "every": v.get("bul_every") or None,
                "weekday": _whole(v["bul_weekday"]) if v.get("bul_weekday") else None,
                "day": _whole(v["bul_day"]) if v.get("bul_day") else None,
                "time": v.get("bul_time") or None,
            },
        },
        "patrol": {
            k: (v[f"pat_{k}"] if k == "digest_time" else _whole(v[f"pat_{k}"]))
            for k in PATROL_FIELDS if v.get(f"pat_{k}")
        },
        "retention": {
            "enabled": v.get("ret_enabled") == "1",
            "anonymise_after_days": optional("ret_days"),
        },
    }
    return doc


def _whole(text: str) -> Any:
    n = _number(text)
    return int(n) if isinstance(n, float) and n.is_integer() else n


def field_zh(path: str, registry: Registry) -> str:
    """A Chinese name for a policy field path."""
    base = re.sub(r"\[\d+\]$", "", path)
    parts = base.split(".")

    def unit(uid: str) -> str:
        u = registry.units.get(uid)
        return u.name if u else uid

    if len(parts) >= 3 and parts[0] == "time_limits":
        section = parts[1]
        if section == "categories":
            return texts.POLICY_CATEGORY_HOURS_ZH.format(category=registry.category_name(parts[2]))
        if section == "units":
            return texts.POLICY_UNIT_HOURS_ZH.format(unit=unit(parts[2]))
        if section == "unit_categories" and len(parts) == 3:
            return texts.POLICY_UNIT_HOURS_ZH.format(unit=unit(parts[2]))
        if section == "unit_categories":
            return texts.POLICY_UNIT_CATEGORY_ZH.format(
                unit=unit(parts[2]), category=registry.category_name(parts[3])
            )
        if section == "priority_factors":
            p = PRIORITIES.get(parts[2])
            return texts.POLICY_FACTOR_ZH.format(
                priority=texts.PRIORITY_ZH.get(p, parts[2]) if p is not None else parts[2]
            )
    return texts.POLICY_FIELD_ZH.get(base, base)


def error_input(exc: PolicyError) -> str | None:
    """The name of the form's input the error is about (None: not one input)."""
    return FIELD_INPUTS.get(exc.field)


def problem_zh(exc: PolicyError) -> str:
    return str(texts.POLICY_ERRORS_ZH.get(exc.code, str(exc)).format(**exc.params))


def error_zh(exc: PolicyError, registry: Registry) -> str:
    """「<field>：<problem>」 in Chinese."""
    return f"{field_zh(exc.field, registry)}：{problem_zh(exc)}"
