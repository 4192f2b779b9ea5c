"""Route one report: classify (unless the category is given), locate, choose the unit."""

from __future__ import annotations

from dataclasses import dataclass

from dispatch.domain.routing import route
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
            ranking = getattr(pred, "ranking", None) or []
            category = pred.category or (ranking[0][0] if ranking else "other")
            confidence = pred.confidence if pred.category else (ranking[0][1] if ranking else None)
        if emergency is None:
            emergency = bool(pred.emergency)
    location = locate(registry, text, lat, lon)
    result = route(
        registry.table,
        registry.tree,
        location.grid_id,
        category,
        registry.category_name(category),
        no_grid_reason=location.reason,
        grid_note=location.reason if location.source == "place" else "",
    )
    return RoutedReport(
        category=category,
        grid_id=result.grid_id,
        unit_id=result.unit_id,
        emergency=bool(emergency),
        reason=result.reason,
        confidence=confidence,
        location=location,
    )
