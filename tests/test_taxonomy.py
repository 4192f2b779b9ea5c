"""The packaged taxonomy: category and intent ids, unit kinds, time limits."""

from __future__ import annotations

from dispatch.domain.taxonomy import UNIT_KINDS, load_taxonomy


def test_taxonomy_loads() -> None:
    t = load_taxonomy()
    assert len(t.categories) == 17 and "street_vending" in t.category_ids
    assert set(t.intents) == {"report", "greet", "help", "status_query", "thanks", "chitchat"}
    assert all(c.unit_kind in UNIT_KINDS and c.sla_hours > 0 for c in t.categories)
