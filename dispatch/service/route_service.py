"""Route one report: classify (unless the category is given), locate, choose the unit."""

from __future__ import annotations

from dataclasses import dataclass

import texts
from dispatch.domain.routing import RouteResult, route
from dispatch.service.locate import Location, locate
from dispatch.service.ports import Classifier
from dispatch.service.registry import Registry


@dataclass(frozen=True, slots=True)
class RoutedReport:
    category: str
    grid_id: str | None
    unit_id: str | None
    emergency: bool
    reason: str
    confidence: float | None
    location: Location


def route_report(
    registry: Registry,
    text: str,
    lat: float | None = None,
    lon: float | None = None,
    *,
    category: str | None = None,
    emergency: bool | None = None,
    classifier: Classifier | None = None,
) -> RoutedReport:
    confidence: float | None = None
    if category is None or emergency is None:
        if classifier is None:
            raise ValueError("no category given and no classifier")
        pred = classifier.predict(text)
        if category is None:
            # Routing treats every line as a report: when the intent is not `report`,
            # take the best category of the ranking.
            ranking = pred.ranking
            category = pred.category or (ranking[0][0] if ranking else "other")
            confidence = pred.confidence if pred.category else (ranking[0][1] if ranking else None)
        if emergency is None:
            emergency = bool(pred.emergency)
    location = locate(registry, text, lat, lon)
    result = route(registry.table, registry.tree, location.grid_id, category)
    return RoutedReport(
        category=category,
        grid_id=result.grid_id,
        unit_id=result.unit_id,
        emergency=bool(emergency),
        reason=route_reason(registry, result, location),
        confidence=confidence,
        location=location,
    )


def route_reason(registry: Registry, result: RouteResult, location: Location) -> str:
    """Why this unit, in one line for the timeline and `gridbot route`."""
    if result.grid_id is None:
        return location.reason
    grid = registry.tree.name(result.grid_id)
    category = registry.category_name(result.category)
    note = location.reason if location.source == "place" else ""
    if result.unit_id is None:
        return texts.ROUTE_NO_UNIT.format(grid=grid, category=category) + note
    template = texts.ROUTE_REASON_CATCH_ALL if result.catch_all else texts.ROUTE_REASON
    rule_grid = registry.tree.name(result.rule_grid_id) if result.rule_grid_id else grid
    return template.format(grid=grid, category=category, unit=registry.unit_name(result.unit_id),
                           rule_grid=rule_grid) + note
