// Patrols on the grid map (map.js): live positions of the workers on patrol, or one patrol's
// track with the reports made on it, and its playback.
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el) { return; }
  el.addEventListener("gridmap:data", function (ev) {
    var map = ev.detail.map, data = ev.detail.data;
    var tracks = data.tracks || [], live = data.live || [];
    var bounds = [];
    tracks.forEach(function (t) {
      var line = t.points.map(function (p) { return [p[0], p[1]]; });
      if (line.length) {
        L.polyline(line, { color: "#c0392b", weight: 3 }).addTo(map);
        bounds = bounds.concat(line);
      }
    });
    live.forEach(function (w) {
      var m = L.circleMarker([w[0], w[1]], { radius: 7, color: "#0b6e4f", fillColor: "#2ecc71", fillOpacity: 0.9 })
        .addTo(map);
      m.bindTooltip(String(w[2]), { permanent: true, direction: "top" });
      m.on("click", function () { window.location.href = "/patrols/" + w[3]; });
      bounds.push([w[0], w[1]]);
    });
    if (bounds.length) { map.fitBounds(bounds, { padding: [24, 24], maxZoom: 17 }); }
    el.setAttribute("data-tracks", String(tracks.length));
    el.setAttribute("data-live", String(live.length));
    var play = document.getElementById("play");
    if (!play || !tracks.length || !tracks[0].points.length) { return; }
    var points = tracks[0].points, walker = null, timer = null;
    play.addEventListener("click", function () {
      if (timer) { clearInterval(timer); }
      var i = 0;
      if (!walker) {
        walker = L.circleMarker([points[0][0], points[0][1]], { radius: 8, color: "#1f3b5c", fillColor: "#f2a516", fillOpacity: 1 })
          .addTo(map);
      }
      timer = setInterval(function () {
        walker.setLatLng([points[i][0], points[i][1]]);
        el.setAttribute("data-played", String(i + 1));
        i += 1;
        if (i >= points.length) { clearInterval(timer); timer = null; }
      }, 120);
    });
  });
})();
