"""The packaged taxonomy is the team's shared one (../shared/taxonomy.yaml)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridbot.taxonomy import UNIT_KINDS, load_taxonomy

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "taxonomy.yaml"


@pytest.mark.skipif(not SHARED.exists(), reason="../shared is not beside this checkout")
def test_packaged_copy_matches_shared() -> None:
    packaged = Path(__file__).resolve().parent.parent / "gridbot" / "taxonomy.yaml"
    assert packaged.read_text("utf-8") == SHARED.read_text("utf-8"), "copy ../shared/taxonomy.yaml to gridbot/"


def test_taxonomy_loads() -> None:
    t = load_taxonomy()
    assert len(t.categories) == 17 and "street_vending" in t.category_ids
    assert set(t.intents) == {"report", "greet", "help", "status_query", "thanks", "chitchat"}
    assert all(c.unit_kind in UNIT_KINDS and c.sla_hours > 0 for c in t.categories)
