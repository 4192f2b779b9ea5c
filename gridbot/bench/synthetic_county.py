"""A generated county of any size (for tests and benchmarks): nested rectangles.

Level 1 is split into `streets` columns, each street into `communities` rows, each
community into a `side × side` block of unit grids; every unit grid gets a few
named places."""

from __future__ import annotations

from typing import Any

PLACE_KINDS = (("路", "road"), ("菜市场", "market"), ("小区", "estate"), ("小学", "school"))


def _rect(x0: float, y0: float, x1: float, y1: float) -> dict[str, Any]:
    r = lambda v: round(v, 7)  # noqa: E731
    ring = [[r(x0), r(y0)], [r(x1), r(y0)], [r(x1), r(y1)], [r(x0), r(y1)], [r(x0), r(y0)]]
    return {"type": "Polygon", "coordinates": [ring]}


def _feature(
    gid: str,
    name: str,
    level: int,
    parent: str | None,
    geom: dict[str, Any],
    places: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    props: dict[str, Any] = {"id": gid, "name": name, "level": level, "parent": parent}
    if places is not None:
        props["places"] = places
    return {"type": "Feature", "properties": props, "geometry": geom}


def make_county(
    streets: int = 3,
    communities: int = 3,
    side: int = 2,
    *,
    lon0: float = 115.0,
    lat0: float = 25.8,
    width: float = 0.06,
    height: float = 0.05,
    prefix: str = "S",
) -> dict[str, Any]:
    features = [_feature(f"{prefix}-01", "测试县", 1, None, _rect(lon0, lat0, lon0 + width, lat0 + height))]
    sw = width / streets
    for s in range(streets):
        sid = f"{prefix}-01-{s + 1:02d}"
        sx0 = lon0 + s * sw
        features.append(
            _feature(sid, f"第{s + 1}街道", 2, f"{prefix}-01", _rect(sx0, lat0, sx0 + sw, lat0 + height))
        )
        ch = height / communities
        for c in range(communities):
            cid = f"{sid}-{c + 1:02d}"
            cy0 = lat0 + c * ch
            features.append(
                _feature(cid, f"第{s + 1}街道第{c + 1}社区", 3, sid, _rect(sx0, cy0, sx0 + sw, cy0 + ch))
            )
            gw, gh = sw / side, ch / side
            for i in range(side):
                for j in range(side):
                    n = i * side + j + 1
                    gid = f"{cid}-{n:02d}"
                    x0, y0 = sx0 + i * gw, cy0 + j * gh
                    places = [
                        {
                            "name": f"S{s + 1}C{c + 1}G{n}{suffix}",
                            "kind": kind,
                            "lon": round(x0 + gw * (k + 1) / 5, 7),
                            "lat": round(y0 + gh / 2, 7),
                        }
                        for k, (suffix, kind) in enumerate(PLACE_KINDS)
                    ]
                    features.append(
                        _feature(
                            gid,
                            f"第{s + 1}街道第{c + 1}社区第{n}网格",
                            4,
                            cid,
                            _rect(x0, y0, x0 + gw, y0 + gh),
                            places,
                        )
                    )
    return {"type": "FeatureCollection", "features": features}


def catch_all_units(county: dict[str, Any]) -> dict[str, Any]:
    """One catch-all station per community and one county centre."""
    units = [
        {
            "id": "centre",
            "name": "县网格中心",
            "kind": "community",
            "categories": ["*"],
            "grids": [county["features"][0]["properties"]["id"]],
        }
    ]
    for f in county["features"]:
        p = f["properties"]
        if p["level"] == 3:
            units.append(
                {
                    "id": f"st-{p['id']}",
                    "name": f"{p['name']}网格站",
                    "kind": "community",
                    "categories": ["*"],
                    "grids": [p["id"]],
                }
            )
    return {"units": units}
