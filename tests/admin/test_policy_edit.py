"""Admins edit the closed-loop policy in the console: a new time limit reaches the next case,
every change is audit-logged, invalid forms say what is wrong in Chinese and save nothing,
dispatchers and viewers are refused, CSRF everywhere, the audit log is paged and escaped."""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

from sqlalchemy import func, select

from dispatch.db.orm import ConfigAuditRow
from dispatch.service import config_log
from dispatch.service.cases import ReportDraft
from dispatch.service.config_log import AuditActor
from tests.admin.conftest import MARKET, csrf_of, logged_in
from tests.conftest import tg_member


class _Form(HTMLParser):
    """What a browser would submit for one form: inputs, checked boxes, selects, textareas."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id, self.inside = form_id, False
        self.fields: list[tuple[str, str]] = []
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside:
            return
        if tag == "input" and a.get("name"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self._select, self._options = a.get("name"), []
        elif tag == "option" and self._select is not None:
            self._options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea":
            self._textarea = a.get("name")
            self.fields.append((self._textarea or "", ""))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            name, value = self.fields.pop()
            self.fields.append((name, value + data))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select" and self._select is not None:
            chosen = [v for v, sel in self._options if sel] or [v for v, _ in self._options[:1]]
            self.fields.extend((self._select, v) for v in chosen)
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def form_fields(html: str, form_id: str = "policy-form") -> list[tuple[str, str]]:
    parser = _Form(form_id)
    parser.feed(html)
    return parser.fields


def change(fields: list[tuple[str, str]], **values: str) -> list[tuple[str, str]]:
    """Set single-valued fields (the first field of that name)."""
    out, done = [], set()
    for name, value in fields:
        if name in values and name not in done:
            value, _ = values[name], done.add(name)
        out.append((name, value))
    return out + [(k, v) for k, v in values.items() if k not in done]


def set_override(fields: list[tuple[str, str]], unit: str, cat: str, hours: str) -> list[tuple[str, str]]:
    """Fill the first empty override row (rows are the n-th ov_unit / ov_cat / ov_hours)."""
    units = [i for i, (k, _) in enumerate(fields) if k == "ov_unit"]
    cats = [i for i, (k, _) in enumerate(fields) if k == "ov_cat"]
    hours_at = [i for i, (k, _) in enumerate(fields) if k == "ov_hours"]
    row = next(n for n, i in enumerate(units) if not fields[i][1])
    out = list(fields)
    out[units[row]], out[cats[row]], out[hours_at[row]] = ("ov_unit", unit), ("ov_cat", cat), ("ov_hours", hours)
    return out


async def post(c: Any, fields: list[tuple[str, str]], **kw: Any) -> Any:
    """POST a form as a browser would (repeated names keep their order)."""
    data: dict[str, list[str]] = {}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    return await c.post("/config/policy", data=data, **kw)


async def audit_count(app: Any) -> int:
    async with app.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(ConfigAuditRow)) or 0)


async def vending(app: Any, text: str) -> ReportDraft:
    return ReportDraft(text=text, reporter_id=await tg_member(app, 100001), category="street_vending", lat=MARKET[0], lon=MARKET[1])


async def test_admin_edit_changes_next_deadline_and_is_audited(admin_app: Any, app: Any, users: Any,
                                                               clock: Any) -> None:
    c = await logged_in(admin_app, "admin")
    page = await c.get("/config/policy")
    assert page.status_code == 200 and 'name="cat__street_vending"' in page.text
    fields = form_fields(page.text)
    assert ("cat__street_vending", "2") in fields and ("ver_required", "1") in fields
    before = await audit_count(app)
    r = await post(c, change(fields, cat__street_vending="3"))
    assert r.status_code == 303 and r.headers["location"] == "/config/policy"
    page = await c.get("/config/policy")
    assert "处置规则已保存" in page.text and ("cat__street_vending", "3") in form_fields(page.text)
    case = await app.service.submit_report(await vending(app, "解放路菜市场门口有人摆摊"))
    assert case.unit_id == "zf-chengguan" and case.due_at == clock.now() + timedelta(hours=3)
    assert await audit_count(app) == before + 1
    async with app.uow() as uow:
        rows, _ = await config_log.entries(uow.session, 0, 1)
    assert (rows[0].actor_kind, rows[0].actor, rows[0].object_kind) == ("admin", "admin", "policy")
    assert rows[0].summary == "time_limits.categories.street_vending: — → 3"
    # A unit override (all categories) beats the category's hours.
    r = await post(c, set_override(
        form_fields(page.text), "zf-chengguan", "*", "6"))
    assert r.status_code == 303
    case = await app.service.submit_report(await vending(app, "五一路有流动摊贩占道"))
    assert case.due_at == clock.now() + timedelta(hours=6)
    audit = await c.get("/config/audit")
    assert audit.status_code == 200
    assert "<li>「城关执法中队」全部类别的时限：（未设） → 6</li>" in audit.text
    assert audit.text.index("「城关执法中队」全部类别的时限") < audit.text.index(
        "「占道经营」的时限")  # newest first
    await c.aclose()


async def test_invalid_form_shows_chinese_error_and_saves_nothing(admin_app: Any, app: Any,
                                                                  users: Any) -> None:
    c = await logged_in(admin_app, "admin")
    fields = form_fields((await c.get("/config/policy")).text)
    before, version = await audit_count(app), app.registry.policy_version
    cases = [
        ({"cat__garbage": "-1"}, "「垃圾与环境卫生」的时限：须为大于 0"),
        ({"cat__garbage": "很快"}, "「垃圾与环境卫生」的时限：须为大于 0"),
        ({"rem_shares": "80, 50"}, "提醒时点：须从小到大排列"),
        ({"rem_shares": "150"}, "提醒时点：须在 0% 与 100% 之间"),
        ({"cal_opens": "18:00", "cal_closes": "09:00"}, "下班时间：须晚于上班时间"),
        ({"pf_emergency": "0"}, "优先级系数「特急」：须为大于 0"),
        ({"dup_similarity": "2"}, "文本相似度下限：须为 0 到 1 之间的数"),
        ({"cal_holidays": "2026-02-30"}, "节假日：须为日期"),
    ]
    for values, message in cases:
        r = await post(c, change(fields, **values))
        assert r.status_code == 400, values
        assert "未保存：" in r.text and message in r.text, (values, r.text[:2000])
        for name, value in values.items():  # what was typed is still there
            assert (name, value) in form_fields(r.text), name
    r = await post(c, set_override(fields, "zf-chengguan", "garbage", "0"))
    assert r.status_code == 400 and "「城关执法中队」·「垃圾与环境卫生」的时限" in r.text
    # Markup typed into a field comes back escaped.
    r = await post(c, change(fields, cal_opens="<script>alert(1)</script>"))
    assert r.status_code == 400 and "<script>alert(1)" not in r.text and "&lt;script&gt;" in r.text
    assert await audit_count(app) == before and app.registry.policy_version == version
    async with app.uow() as uow:
        from dispatch.service.policy_store import read_policy

        assert (await read_policy(uow.session)).doc is None
    await c.aclose()


async def test_stale_form_is_refused(admin_app: Any, app: Any, users: Any) -> None:
    c = await logged_in(admin_app, "admin")
    fields = form_fields((await c.get("/config/policy")).text)
    assert (await post(c, change(fields, cat__garbage="5"))).status_code == 303
    r = await post(c, change(fields, cat__garbage="6"))
    assert r.status_code == 409 and "刚被其他人修改" in r.text
    assert app.registry.sla.hours_for("garbage", None, 0) == 5
    await c.aclose()


async def test_saving_the_form_keeps_the_nlu_retrain_schedule(admin_app: Any, app: Any, users: Any,
                                                               clock: Any) -> None:
    from dispatch.domain.policy import RetrainPolicy
    from dispatch.service import policy_store

    await policy_store.save_policy_doc(app.uow(), {"nlu": {"retrain": {"enabled": True, "every_days": 2}}},
                                       AuditActor("cli", "test"), clock.now())
    await app.reload()
    c = await logged_in(admin_app, "admin")
    fields = form_fields((await c.get("/config/policy")).text)
    assert (await post(c, change(fields, cat__garbage="5"))).status_code == 303
    assert app.registry.policy.nlu_retrain == RetrainPolicy(True, 2.0)  # not on the form, not lost
    assert app.registry.sla.hours_for("garbage", None, 0) == 5
    await c.aclose()


async def test_dispatcher_and_viewer_cannot_edit(admin_app: Any, app: Any, users: Any) -> None:
    admin = await logged_in(admin_app, "admin")
    fields = form_fields((await admin.get("/config/policy")).text)
    await admin.aclose()
    before = await audit_count(app)
    for role in ("dispatcher", "viewer"):
        c = await logged_in(admin_app, role)
        assert (await c.get("/config/policy")).status_code == 403
        assert (await c.get("/config/audit")).status_code == 403
        assert "/config/policy" not in (await c.get("/config/categories")).text
        token = csrf_of((await c.get("/cases")).text) if role == "dispatcher" else ""
        data = change([(k, v) for k, v in fields if k != "csrf_token"], csrf_token=token, cat__garbage="1")
        r = await post(c, data, headers={"x-csrf-token": token} if token else {})
        assert r.status_code == 403
        await c.aclose()
    assert app.registry.sla.hours_for("garbage", None, 0) == 4 and await audit_count(app) == before


async def test_post_without_csrf_is_refused(admin_app: Any, app: Any, users: Any) -> None:
    c = await logged_in(admin_app, "admin")
    fields = [(k, v) for k, v in form_fields((await c.get("/config/policy")).text) if k != "csrf_token"]
    r = await post(c, change(fields, cat__garbage="1"))
    assert r.status_code == 403 and "安全令牌" in r.text
    r = await post(c, change(fields, cat__garbage="1", csrf_token="forged"))
    assert r.status_code == 403
    assert app.registry.sla.hours_for("garbage", None, 0) == 4
    await c.aclose()


async def test_unit_and_member_edits_are_audited_and_escaped(admin_app: Any, app: Any, users: Any) -> None:
    c = await logged_in(admin_app, "admin")
    version = await app.config_version()
    page = await c.get("/config/units/zf-chengguan")
    unit = app.registry.units["zf-chengguan"]
    r = await c.post("/config/units/zf-chengguan", data={
        "csrf_token": csrf_of(page.text), "name": "<b>城关</b>执法中队", "chat_id": str(unit.chat_id),
        "active": "1", "categories": sorted(unit.categories), "grids": list(unit.grids)})
    assert r.status_code == 303
    member = await _make_grid_worker(app, c)
    assert await app.config_version() == version + 2
    async with app.uow() as uow:
        rows, _ = await config_log.entries(uow.session, 0, 2)
    assert [(r.object_kind, r.object_id, r.actor) for r in rows] == [
        ("member", str(member.id), "admin"), ("unit", "zf-chengguan", "admin")]
    assert 'roles: ["resident"] → ["grid_worker", "resident"]' in rows[0].summary
    audit = (await c.get("/config/audit")).text
    assert "<b>城关</b>" not in audit and "&lt;b&gt;城关&lt;/b&gt;执法中队" in audit
    await c.aclose()


async def _make_grid_worker(app: Any, c: Any) -> Any:
    """The resident 100001 made also a grid worker of G-01-01 in the console."""
    async with app.uow() as uow:
        member = await uow.members.by_tg(100001)
    assert member is not None
    page = await c.get(f"/config/members/{member.id}")
    r = await c.post(f"/config/members/{member.id}", data={
        "csrf_token": csrf_of(page.text), "roles": ["resident", "grid_worker"], "grids": ["G-01-01"]})
    assert r.status_code == 303
    return member


async def test_audit_log_is_paged_newest_first(admin_app: Any, app: Any, users: Any, clock: Any) -> None:
    actor = AuditActor("cli", "pager")
    for i in range(55):
        async with app.uow() as uow:
            await config_log.record(uow.session, clock.now(), actor, "unit", f"u-{i:02d}", None, {"n": i})
            await uow.commit()
    total = await audit_count(app)
    c = await logged_in(admin_app, "admin")
    first = await c.get("/config/audit")
    assert first.text.count("<tr>") == 50 + 1  # the header row
    assert first.text.index("u-54") < first.text.index("u-53") and "u-04" not in first.text
    assert 'href="/config/audit?page=2"' in first.text
    second = await c.get("/config/audit?page=2")
    assert second.text.count("<tr>") == total - 50 + 1 and "u-04" in second.text
    assert 'href="/config/audit?page=1"' in second.text and "page=3" not in second.text
    assert (await c.get("/config/audit?page=x")).status_code == 404
    await c.aclose()


async def test_admin_edits_the_point_rules_and_weights(admin_app: Any, app: Any, users: Any) -> None:
    c = await logged_in(admin_app, "admin")
    fields = form_fields((await c.get("/config/policy")).text)
    assert ("pts_report", "1") in fields and ("pts_duplicate", "-1") in fields
    before = await audit_count(app)
    r = await post(c, change(fields, pts_report="2", w_units="handle_rate:60, overdue_rate:-40"))
    assert r.status_code == 303
    assert app.registry.policy.assessment.points["report"] == 2
    assert dict(app.registry.policy.assessment.unit_weights) == {"handle_rate": 60, "overdue_rate": -40}
    assert app.registry.policy.assessment.grid_weights["solve_rate"] == 5  # untouched, kept
    assert await audit_count(app) == before + 1
    fields = form_fields((await c.get("/config/policy")).text)
    r = await post(c, change(fields, pts_report="1.5"))
    assert r.status_code == 400 and "积分规则" in r.text
    assert app.registry.policy.assessment.points["report"] == 2


async def test_the_version_shown_is_the_audit_logs(admin_app: Any, app: Any, users: Any) -> None:
    """The policy page and its flash show the configuration version of the policy's last change,
    the number in the audit log's 配置版本 column (not the policy's own counter)."""
    c = await logged_in(admin_app, "admin")
    page = await c.get("/config/policy")
    r = await post(c, change(form_fields(page.text), cat__street_vending="3"))
    assert r.status_code == 303
    async with app.uow() as uow:
        rows, _ = await config_log.entries(uow.session, 0, 1)
    version = rows[0].config_version
    assert rows[0].object_kind == "policy" and version > 1  # the demo import changed the configuration first
    page = await c.get("/config/policy")
    assert f"处置规则已保存（配置版本 {version}）" in page.text
    assert f'<div class="muted">配置版本 {version}</div>' in page.text
    audit = await c.get("/config/audit")
    assert f'<td class="num">{version}</td>' in audit.text
    await c.aclose()


async def test_the_audit_log_speaks_chinese_with_names(admin_app: Any, app: Any, users: Any) -> None:
    """No setting keys or ids where a name exists: categories, units, grids, roles, members by
    name; imports as counts in words."""
    c = await logged_in(admin_app, "admin")
    r = await post(c, change(form_fields((await c.get("/config/policy")).text), cat__street_vending="3",
                             ver_required=""))
    assert r.status_code == 303
    page = await c.get("/config/units/zf-chengguan")
    unit = app.registry.units["zf-chengguan"]
    r = await c.post("/config/units/zf-chengguan", data={
        "csrf_token": csrf_of(page.text), "name": unit.name, "chat_id": str(unit.chat_id), "active": "1",
        "categories": sorted(unit.categories - {"street_vending"}), "grids": list(unit.grids)})
    assert r.status_code == 303
    member = await _make_grid_worker(app, c)
    cells = _audit_cells((await c.get("/config/audit")).text)
    changes = " | ".join(cells)
    assert "<li>「占道经营」的时限：（未设） → 3</li>" in changes
    assert "<li>须核查：是 → 否</li>" in changes
    assert f"责任单位「{unit.name}」" in changes and "<li>负责类别：" in changes
    names = [app.registry.category_name(c) for c in sorted(unit.categories)]
    assert "、".join(names) in changes
    assert f"成员「{member.name}」" in changes
    assert "<li>角色：居民 → 网格员、居民</li>" in changes or "<li>角色：居民 → 居民、网格员</li>" in changes
    assert f"负责网格：（未设） → {app.registry.tree.name('G-01-01')}" in changes
    assert "导入：人员 " in changes and "导入：网格 " in changes and "导入：责任单位 " in changes
    for machine in ("time_limits.", "verification.required", "street_vending", "imported ", "roles:",
                    '["resident"]', "G-01-01<", "zf-chengguan<"):
        assert machine not in changes, machine
    await c.aclose()


def _audit_cells(html: str) -> list[str]:
    """The audit table's visible cells (the before/after documents folded away excluded)."""
    import re

    body = html[html.index('<table class="data" id="audit">'):html.index("</table>")]
    body = re.sub(r"<details>.*?</details>", "", body, flags=re.S)
    return re.findall(r"<td[^>]*>(.*?)</td>", body, flags=re.S)
