// 新建案件: the category suggestion as the text is typed, and a pin set by clicking the grid map.
// The form works without it (the 建议分类 button asks the server; coordinates can be typed).
(function () {
  "use strict";
  var form = document.getElementById("intake-form");
  if (!form) { return; }
  var text = form.querySelector("textarea[name=text]");
  var category = form.querySelector("select[name=category]");
  var predicted = form.querySelector("input[name=predicted]");
  var emergency = form.querySelector("input[name=emergency]");
  var hint = document.getElementById("suggest-hint");
  var lat = form.querySelector("input[name=lat]");
  var lon = form.querySelector("input[name=lon]");
  var touched = category.value !== "";
  category.addEventListener("change", function () { touched = true; });

  var timer = null;
  var asked = "";
  function ask() {
    var value = text.value.trim();
    if (!form.getAttribute("data-has-model") || !value || value === asked) { return; }
    asked = value;
    fetch(form.getAttribute("data-suggest") + "?text=" + encodeURIComponent(value), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        if (value !== asked) { return; }
        hint.textContent = s.message || "";
        if (s.category) {
          predicted.value = s.category;
          if (!touched) { category.value = s.category; }
        }
        if (s.emergency && !emergency.dataset.touched) { emergency.checked = true; }
        form.setAttribute("data-suggested", s.category || "none");
      })
      .catch(function () { asked = ""; });
  }
  text.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(ask, 400);
  });
  emergency.addEventListener("change", function () { emergency.dataset.touched = "1"; });
  var button = document.getElementById("suggest-button");
  button.addEventListener("click", function (ev) {
    if (!form.getAttribute("data-has-model")) { return; }
    ev.preventDefault(); asked = ""; touched = false; ask();
  });

  var el = document.getElementById("pin-map");
  if (!el || !window.L) { return; }
  var map = L.map(el, { zoomSnap: 0.25, attributionControl: false });
  var marker = null;
  function place(a, b) {
    if (marker) { marker.setLatLng([a, b]); } else { marker = L.marker([a, b]).addTo(map); }
  }
  function fromInputs() {
    var a = parseFloat(lat.value), b = parseFloat(lon.value);
    if (isFinite(a) && isFinite(b)) { place(a, b); return true; }
    if (marker) { map.removeLayer(marker); marker = null; }
    return false;
  }
  map.on("click", function (ev) {
    lat.value = ev.latlng.lat.toFixed(6);
    lon.value = ev.latlng.lng.toFixed(6);
    place(ev.latlng.lat, ev.latlng.lng);
  });
  lat.addEventListener("change", fromInputs);
  lon.addEventListener("change", fromInputs);
  document.getElementById("clear-pin").addEventListener("click", function () {
    lat.value = ""; lon.value = ""; fromInputs();
  });
  fetch(el.getAttribute("data-src"), { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (geo) {
      var leaves = geo.features.filter(function (f) { return f.properties.leaf; });
      var layer = L.geoJSON({ type: "FeatureCollection", features: leaves }, {
        style: { color: "#5b7fa6", weight: 1, fillOpacity: 0.25, fillColor: "#a9cbea" },
        onEachFeature: function (f, l) {
          l.bindTooltip(String(f.properties.name), { sticky: true });
          l.on("click", function (ev) { map.fire("click", ev); });
        }
      }).addTo(map);
      if (layer.getLayers().length) { map.fitBounds(layer.getBounds(), { padding: [12, 12] }); }
      else { map.setView([0, 0], 2); }
      fromInputs();
      el.setAttribute("data-ready", "1");
    })
    .catch(function (err) { el.setAttribute("data-ready", "error"); el.setAttribute("data-error", String(err)); });
})();
