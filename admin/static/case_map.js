// The case page's map: the case's point on its unit grid (and the grid above it, outlined).
// No tiles: the grid polygons are the map, so it works offline.
(function () {
  "use strict";
  var el = document.getElementById("case-map");
  if (!el || !window.L) { return; }
  var data = JSON.parse(el.getAttribute("data-map"));
  var map = L.map(el, { zoomSnap: 0.25, attributionControl: false, scrollWheelZoom: false });
  var shapes = L.geoJSON(data.grids, {
    style: function (f) {
      return f.properties.role === "grid"
        ? { color: "#2a6aad", weight: 2, fillColor: "#a9cbea", fillOpacity: 0.35 }
        : { color: "#1f3b5c", weight: 1.5, dashArray: "4 4", fill: false };
    },
    onEachFeature: function (f, l) { l.bindTooltip(f.properties.name, { sticky: true }); }
  });
  var grid = null;
  shapes.eachLayer(function (l) { if (l.feature.properties.role === "grid") { grid = l; } });
  // the view first: Leaflet draws vector layers only on a map that has one
  if (grid) {
    map.fitBounds(grid.getBounds(), { padding: [16, 16] });
  } else if (data.point) {
    map.setView(data.point, 16);
  }
  shapes.addTo(map);
  if (data.point) {
    L.circleMarker(data.point, {
      radius: 7, weight: 2, color: "#8f1d1d", fillColor: "#e0453a", fillOpacity: 0.95
    }).addTo(map);
  }
  el.setAttribute("data-ready", "1");
})();
