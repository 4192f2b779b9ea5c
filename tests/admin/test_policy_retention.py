"""Retention in the console's policy form (配置 → 处置规则): residents' personal data
(`retention`: on/off, days after a case ended) and patrol tracks (`patrol.retention_days`)
are shown and edited like the rest — a bad value is named next to its field and nothing is
saved, a good one is saved and audit-logged."""

from __future__ import annotations

from typing import Any

from dispatch.domain.policy import RetentionPolicy
from dispatch.service import config_log
from tests.admin.conftest import logged_in
from tests.admin.test_policy_edit import audit_count, change, form_fields, post


def without(fields: list[tuple[str, str]], name: str) -> list[tuple[str, str]]:
    """An unticked checkbox is not submitted."""
    return [(k, v) for k, v in fields if k != name]


async def test_the_form_shows_and_saves_retention_audited(admin_app: Any, app: Any, users: Any) -> None:
    c = await logged_in(admin_app, "admin")
    page = await c.get("/config/policy")
    assert 'id="policy-retention"' in page.text and "个人信息匿名化" in page.text
    fields = form_fields(page.text)
    assert ("ret_enabled", "1") in fields and ("ret_days", "365") in fields
    assert ("pat_retention_days", "90") in fields
    before = await audit_count(app)
    r = await post(c, change(without(fields, "ret_enabled"), ret_days="180", pat_retention_days="30"))
    assert r.status_code == 303, r.text[:2000]
    assert app.registry.policy.retention == RetentionPolicy(enabled=False, anonymise_after_days=180.0)
    assert app.registry.policy.patrol.retention_days == 30.0
    assert await audit_count(app) == before + 1
    async with app.uow() as uow:
        rows, _ = await config_log.entries(uow.session, 0, 1)
    assert (rows[0].actor_kind, rows[0].object_kind) == ("admin", "policy")
    assert "retention.anonymise_after_days: 365 → 180" in rows[0].summary
    assert "retention.enabled" in rows[0].summary and "patrol.retention_days: 90 → 30" in rows[0].summary
    audit = (await c.get("/config/audit")).text
    assert "个人信息匿名化期限（天）：365 → 180" in audit and "轨迹保留天数：90 → 30" in audit
    fields = form_fields((await c.get("/config/policy")).text)
    assert ("ret_days", "180") in fields and not any(k == "ret_enabled" for k, _ in fields)
    # ticked again: on again, the rest kept
    r = await post(c, change(fields, ret_enabled="1"))
    assert r.status_code == 303
    assert app.registry.policy.retention == RetentionPolicy(enabled=True, anonymise_after_days=180.0)
    await c.aclose()


async def test_a_bad_retention_value_is_named_next_to_its_field_and_nothing_saved(
    admin_app: Any, app: Any, users: Any
) -> None:
    c = await logged_in(admin_app, "admin")
    fields = form_fields((await c.get("/config/policy")).text)
    before, policy = await audit_count(app), app.registry.policy
    cases = [
        ("ret_days", "0", "个人信息匿名化期限（天）：须为大于 0、不超过 3650 的天数"),
        ("ret_days", "-30", "个人信息匿名化期限（天）：须为大于 0、不超过 3650 的天数"),
        ("ret_days", "一年", "个人信息匿名化期限（天）：须为大于 0、不超过 3650 的天数"),
        ("ret_days", "4000", "个人信息匿名化期限（天）：须为大于 0、不超过 3650 的天数"),
        ("pat_retention_days", "0", "轨迹保留天数：须为大于 0、不超过 3650 的天数"),
        ("pat_retention_days", "九十", "轨迹保留天数：须为大于 0、不超过 3650 的天数"),
    ]
    for name, value, message in cases:
        r = await post(c, change(fields, **{name: value}))
        assert r.status_code == 400, (name, value)
        assert "未保存：" in r.text and message in r.text, (name, value, r.text[:2000])
        beside = r.text[r.text.index(f'name="{name}"'):]
        beside = beside[:beside.index("</label>")]
        assert 'aria-invalid="true"' in beside and f'id="err-{name}"' in beside
        assert "须为大于 0、不超过 3650 的天数" in beside  # the error, next to the field
        assert (name, value) in form_fields(r.text)  # what was typed is still there
    assert await audit_count(app) == before and app.registry.policy == policy
    await c.aclose()
