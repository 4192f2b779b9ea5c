"""Seed the sandbox from the demo county files (people.yaml, units.yaml, county.geojson).

Reads files by path with PyYAML only, so it stays independent of the rest of gridbot. Unit
members and grid workers start with ``started=True`` (they joined through invite links);
residents press START themselves.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def demo_world(demo_dir: str | Path) -> dict[str, Any]:
    """``{"users", "groups", "geojson"}`` ready for ``start_sandbox(**demo_world(DIR))``, from a
    directory holding people.yaml, units.yaml and county.geojson."""
    import yaml

    root = Path(demo_dir)
    people = yaml.safe_load((root / "people.yaml").read_text("utf-8"))
    units = yaml.safe_load((root / "units.yaml").read_text("utf-8"))
    geojson = json.loads((root / "county.geojson").read_text("utf-8"))
    unit_names = {u["id"]: u["name"] for u in units.get("units", [])}
    grid_names = {f["properties"]["id"]: f["properties"]["name"]
                  for f in geojson.get("features", [])}
    users = []
    for member in people.get("members", []):
        roles = list(member.get("roles") or [])
        label = None
        if member.get("units"):
            label = "、".join(unit_names.get(u, u) for u in member["units"])
        elif member.get("grids"):
            grids = member["grids"]
            label = grid_names.get(grids[0], grids[0]) + (f" 等{len(grids)}个网格"
                                                          if len(grids) > 1 else "")
        users.append({"id": member["tg_id"], "first_name": member["name"], "roles": roles,
                      "label": label, "started": "resident" not in roles})
    groups = []
    for unit in units.get("units", []):
        if unit.get("chat_id") is None:
            continue
        members = [m["tg_id"] for m in people.get("members", [])
                   if unit["id"] in (m.get("units") or [])]
        groups.append({"id": unit["chat_id"], "title": unit["name"], "members": members})
    return {"users": users, "groups": groups, "geojson": geojson}
