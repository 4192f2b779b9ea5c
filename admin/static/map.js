// Grid polygons and cases on a Leaflet map without any tile server: the grids are the map.
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el || !window.L) { return; }
  var mode = el.getAttribute("data-mode");
  var map = L.map(el, { zoomSnap: 0.25, attributionControl: false });
  map.createPane("dots");
  map.getPane("dots").style.zIndex = 450;
  var dots = L.canvas({ padding: 0.2, pane: "dots" });
  var palette = ["#eef4fb", "#d3e4f5", "#a9cbea", "#78acdb", "#4a8bc9", "#2a6aad", "#174b85"];

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  fetch(el.getAttribute("data-src"), { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (data) {
      var grids = data.grids || data;
      var leaves = grids.features.filter(function (f) { return f.properties.leaf; });
      var outlines = grids.features.filter(function (f) { return f.properties.level === 2; });
      var max = 0;
      leaves.forEach(function (f) { max = Math.max(max, f.properties.count || 0); });
      function fill(n) {
        if (!n || !max) { return palette[0]; }
        return palette[Math.min(palette.length - 1, 1 + Math.floor((palette.length - 2) * n / max))];
      }
      var layer = L.geoJSON({ type: "FeatureCollection", features: leaves }, {
        style: function (f) {
          return { color: "#5b7fa6", weight: 1, fillOpacity: mode === "cases" ? 0.85 : 0.35,
                   fillColor: mode === "cases" ? fill(f.properties.count) : "#a9cbea" };
        },
        onEachFeature: function (f, l) {
          var p = f.properties;
          l.bindTooltip(esc(p.name) + (p.count !== undefined ? " · " + p.count : ""), { sticky: true });
          l.on("click", function () { window.location.href = "/cases?grid=" + encodeURIComponent(p.id); });
        }
      });
      if (layer.getLayers().length) {
        map.fitBounds(layer.getBounds(), { padding: [12, 12] });
      } else {
        map.setView([0, 0], 2);
      }
      layer.addTo(map);
      L.geoJSON({ type: "FeatureCollection", features: outlines }, {
        style: { color: "#1f3b5c", weight: 2.5, fill: false }, interactive: false
      }).addTo(map);
      (data.cases || []).forEach(function (c) {
        var m = L.circleMarker([c[0], c[1]], {
          renderer: dots, radius: 4, weight: 1, color: c[5] ? "#8f1d1d" : "#7a4a00",
          fillColor: c[5] ? "#e0453a" : "#f2a516", fillOpacity: 0.9
        }).addTo(map);
        m.bindTooltip(esc(c[3]) + " · " + esc(c[4]));
        m.on("click", function () { window.location.href = "/cases/" + c[2]; });
      });
      if (mode === "cases") {
        var legend = L.control({ position: "bottomright" });
        legend.onAdd = function () {
          var div = L.DomUtil.create("div", "map-legend");
          div.innerHTML = '<span class="dot open"></span>' + esc(el.getAttribute("data-legend-open")) +
            ' <span class="dot overdue"></span>' + esc(el.getAttribute("data-legend-overdue"));
          return div;
        };
        legend.addTo(map);
      }
      // other pages' layers (patrol tracks, live positions: patrol.js) draw on this map
      el.dispatchEvent(new CustomEvent("gridmap:data", { detail: { map: map, data: data } }));
      el.setAttribute("data-ready", "1");
    })
    .catch(function (err) { el.setAttribute("data-ready", "error"); el.setAttribute("data-error", String(err)); });
})();
