// The demo county drawn in inline SVG (no tiles, no CDN): grid polygons, landmarks, a picker.

import { api } from "./api.js";
import { esc } from "./format.js";

const STREET_COLORS = ["#8fc1e9", "#f3c178", "#a8d8a0", "#d7b4ef", "#f4a6a6", "#9fd9d6", "#e9d38f"];
export const W = 1000;
const PLAIN_CENTER = [30.2741, 120.1551]; // lat, lon of the plain grid when no county is loaded
let map = null; // {features, places, bbox, k, h, base}

function rings(geometry) {
  if (!geometry) return [];
  if (geometry.type === "Polygon") return [geometry.coordinates];
  if (geometry.type === "MultiPolygon") return geometry.coordinates;
  return [];
}

export async function loadMap() {
  if (map) return map;
  const data = await api("map");
  const features = data.geojson?.features || [];
  const places = data.places || [];
  let minLon = Infinity, maxLon = -Infinity, minLat = Infinity, maxLat = -Infinity;
  const see = (lon, lat) => {
    minLon = Math.min(minLon, lon); maxLon = Math.max(maxLon, lon);
    minLat = Math.min(minLat, lat); maxLat = Math.max(maxLat, lat);
  };
  for (const f of features) for (const poly of rings(f.geometry)) for (const [lon, lat] of poly[0]) see(lon, lat);
  for (const p of places) see(p.lon, p.lat);
  const plain = !features.length && !places.length;
  if (plain) { // no county loaded: a plain coordinate grid around a default point, no tiles
    see(PLAIN_CENTER[1] - 0.03, PLAIN_CENTER[0] - 0.02);
    see(PLAIN_CENTER[1] + 0.03, PLAIN_CENTER[0] + 0.02);
  }
  const padLon = (maxLon - minLon) * 0.04 || 0.01, padLat = (maxLat - minLat) * 0.04 || 0.01;
  minLon -= padLon; maxLon += padLon; minLat -= padLat; maxLat += padLat;
  const k = Math.cos(((minLat + maxLat) / 2) * Math.PI / 180);
  const scale = W / ((maxLon - minLon) * k);
  const h = (maxLat - minLat) * scale;
  map = { features, places, minLon, maxLon, minLat, maxLat, k, scale, h, empty: false, plain };
  const levels = features.map((f) => f.properties?.level ?? 0);
  map.leafLevel = Math.max(0, ...levels);
  map.streets = {};
  let i = 0;
  for (const f of features) {
    if (f.properties?.level === 2) map.streets[f.properties.id] = STREET_COLORS[i++ % STREET_COLORS.length];
  }
  map.byId = Object.fromEntries(features.map((f) => [f.properties?.id, f]));
  map.base = coordinateGrid() + baseLayers();
  return map;
}

// A graticule with labelled coordinates under everything: the map works without any tiles.
function coordinateGrid() {
  const span = Math.max(map.maxLon - map.minLon, map.maxLat - map.minLat);
  const step = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1].find((s) => span / s <= 14) || 1;
  const digits = step < 0.01 ? 3 : step < 0.1 ? 2 : 1;
  let svg = "";
  for (let lon = Math.ceil(map.minLon / step) * step; lon <= map.maxLon; lon += step) {
    const [x] = project(lon, map.maxLat);
    svg += `<line class="graticule" x1="${x.toFixed(1)}" y1="0" x2="${x.toFixed(1)}" y2="${map.h.toFixed(1)}"/>`
      + `<text class="graticule-label" x="${(x + 3).toFixed(1)}" y="14">${lon.toFixed(digits)}°E</text>`;
  }
  for (let lat = Math.ceil(map.minLat / step) * step; lat <= map.maxLat; lat += step) {
    const [, y] = project(map.minLon, lat);
    svg += `<line class="graticule" x1="0" y1="${y.toFixed(1)}" x2="${W}" y2="${y.toFixed(1)}"/>`
      + `<text class="graticule-label" x="4" y="${(y - 3).toFixed(1)}">${lat.toFixed(digits)}°N</text>`;
  }
  return svg;
}

export const project = (lon, lat) => [(lon - map.minLon) * map.k * map.scale, (map.maxLat - lat) * map.scale];
export const unproject = (x, y) => [x / (map.k * map.scale) + map.minLon, map.maxLat - y / map.scale];

function pathOf(geometry) {
  return rings(geometry).map((poly) => poly.map((ring) => ring.map(([lon, lat], j) => {
    const [x, y] = project(lon, lat);
    return `${j ? "L" : "M"}${x.toFixed(1)},${y.toFixed(1)}`;
  }).join("") + "Z").join("")).join("");
}

function streetOf(f) {
  let cur = f;
  while (cur && cur.properties?.level > 2) cur = map.byId[cur.properties.parent];
  return cur?.properties?.id;
}

function baseLayers() {
  const leaf = map.features.filter((f) => (f.properties?.level ?? 0) === map.leafLevel);
  let svg = "";
  for (const f of leaf) {
    const color = map.streets[streetOf(f)] || STREET_COLORS[0];
    svg += `<path class="grid-cell" d="${pathOf(f.geometry)}" fill="${color}" fill-opacity=".55"><title>${esc(f.properties?.name || "")}</title></path>`;
  }
  const cls = { 1: "county", 2: "street", 3: "community" };
  for (const f of map.features) {
    const level = f.properties?.level ?? 0;
    if (level < map.leafLevel && cls[level]) svg += `<path class="${cls[level]}" d="${pathOf(f.geometry)}"/>`;
  }
  return svg;
}

function labels(level) {
  let svg = "";
  for (const f of map.features) {
    if ((f.properties?.level ?? 0) !== level) continue;
    const ring = rings(f.geometry)[0]?.[0] || [];
    if (!ring.length) continue;
    let sx = 0, sy = 0;
    for (const [lon, lat] of ring) { const [x, y] = project(lon, lat); sx += x; sy += y; }
    svg += `<text class="map-label" x="${(sx / ring.length).toFixed(0)}" y="${(sy / ring.length).toFixed(0)}" text-anchor="middle">${esc(f.properties.name)}</text>`;
  }
  return svg;
}

export function pin(x, y, size = 1) {
  const s = 14 * size;
  return `<g transform="translate(${x.toFixed(1)},${y.toFixed(1)})"><path class="pin-shape" d="M0,0 C${-s * 0.9},${-s * 1.1} ${-s * 0.9},${-s * 2.3} 0,${-s * 2.3} C${s * 0.9},${-s * 2.3} ${s * 0.9},${-s * 1.1} 0,0Z"/><circle cx="0" cy="${-s * 1.55}" r="${s * 0.35}" fill="#fff"/></g>`;
}

// ------------------------------------------------------------------ lookups

function inRing(x, y, ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i], [xj, yj] = ring[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

export function describe(lat, lon) {
  if (!map) return { grid: null, place: null };
  let grid = null;
  for (const f of map.features) {
    if ((f.properties?.level ?? 0) !== map.leafLevel) continue;
    if (rings(f.geometry).some((poly) => inRing(lon, lat, poly[0]))) { grid = f.properties; break; }
  }
  let place = null, best = Infinity;
  for (const p of map.places) {
    const dx = (p.lon - lon) * 111320 * map.k, dy = (p.lat - lat) * 110540;
    const d = Math.hypot(dx, dy);
    if (d < best) { best = d; place = { ...p, distance: Math.round(d) }; }
  }
  return { grid, place };
}

// ------------------------------------------------------------------ mini map in a message

export function miniMap(lat, lon) {
  if (!map) {
    return `<svg viewBox="0 0 280 150"><rect width="280" height="150" fill="#e4ecf3"/><path d="M0 50h280M0 100h280M70 0v150M140 0v150M210 0v150" stroke="#cfdbe6"/>${pin(140, 90, 1.1)}</svg>`;
  }
  const [x, y] = project(lon, lat);
  const w = 380, h = w * 150 / 280;
  const dots = map.places.map((p) => {
    const [px, py] = project(p.lon, p.lat);
    return Math.abs(px - x) < w / 2 && Math.abs(py - y) < h / 2
      ? `<circle class="place-dot" cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" r="3"/>` : "";
  }).join("");
  return `<svg viewBox="${(x - w / 2).toFixed(1)} ${(y - h / 2 - 12).toFixed(1)} ${w} ${h.toFixed(1)}" preserveAspectRatio="xMidYMid slice"><rect x="-5000" y="-5000" width="12000" height="12000" fill="#eef2ea"/>${map.base}${labels(3)}${dots}${pin(x, y, 1.1)}</svg>`;
}

// ------------------------------------------------------------------ picker

let picked = null;
let onPick = null;
let onLive = null;

function renderPicker() {
  const canvas = document.getElementById("map-canvas");
  const dots = map.places.map((p, i) => {
    const [x, y] = project(p.lon, p.lat);
    return `<circle class="place-dot" data-place="${i}" cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="4.5"><title>${esc(p.name)}</title></circle>`;
  }).join("");
  let marker = "";
  if (picked) {
    const [x, y] = project(picked.lon, picked.lat);
    const grid = describe(picked.lat, picked.lon).grid;
    const f = grid && map.byId[grid.id];
    marker = (f ? `<path class="grid-selected" d="${pathOf(f.geometry)}"/>` : "") + pin(x, y, 1.3);
  }
  canvas.innerHTML = mapSvg(dots + marker);
  const svg = canvas.querySelector("svg");
  svg.addEventListener("click", (ev) => {
    const dot = ev.target.closest("[data-place]");
    if (dot) return choosePlace(map.places[Number(dot.dataset.place)]);
    const [lat, lon] = clickedPoint(svg, ev);
    choose({ lat, lon, title: null });
  });
}

/** The whole county (or the plain grid) as an SVG, with ``extra`` drawn on top. */
export function mapSvg(extra = "", view = `0 0 ${W} ${map.h.toFixed(0)}`) {
  return `<svg viewBox="${view}" preserveAspectRatio="xMidYMid meet"><rect width="${W}" height="${map.h.toFixed(0)}" fill="#f2f5f0"/>${map.base}${labels(3)}${extra}</svg>`;
}

/** [lat, lon] (6 decimals) under a click on an SVG made by mapSvg. */
export function clickedPoint(svg, ev) {
  const pt = svg.createSVGPoint();
  pt.x = ev.clientX; pt.y = ev.clientY;
  const p = pt.matrixTransform(svg.getScreenCTM().inverse());
  const [lon, lat] = unproject(p.x, p.y);
  return [+lat.toFixed(6), +lon.toFixed(6)];
}

function renderPlaces(filter = "") {
  const list = document.getElementById("place-list");
  const q = filter.trim();
  const items = map.places.map((p, i) => [p, i])
    .filter(([p]) => !q || p.name.includes(q) || (p.aliases || []).some((a) => a.includes(q)) || (p.grid_name || "").includes(q));
  list.innerHTML = items.slice(0, 300).map(([p, i]) =>
    `<li data-place="${i}"><div class="p-name">${esc(p.name)}</div><div class="p-sub">${esc(p.grid_name || p.kind || "")}</div></li>`).join("")
    || '<li class="p-sub">没有匹配的地标</li>';
}

function choosePlace(p) {
  choose({ lat: p.lat, lon: p.lon, title: p.name, address: p.grid_name || "" });
}

function choose(sel) {
  picked = sel;
  const { grid, place } = describe(sel.lat, sel.lon);
  const where = grid ? `所在网格：${grid.name}` : "不在任何网格内";
  const near = !sel.title && place ? ` · 附近：${place.name}（${place.distance} 米）` : "";
  document.getElementById("map-selection").innerHTML =
    `<b>${esc(sel.title || `${sel.lat.toFixed(5)}, ${sel.lon.toFixed(5)}`)}</b> · ${esc(where)}${esc(near)}`;
  if (!sel.title && !sel.address && grid) sel.address = grid.name;
  document.getElementById("map-send").disabled = false;
  document.getElementById("map-live").disabled = false;
  renderPicker();
}

/** The picker; with ``onLiveStart(sel, seconds)`` it also offers sharing a live location. */
export async function openPicker({ title = "选择位置", venues = true, onSelect, onLiveStart = null }) {
  await loadMap();
  picked = null;
  onPick = (sel) => onSelect(venues ? sel : { lat: sel.lat, lon: sel.lon });
  onLive = onLiveStart;
  document.getElementById("map-title").textContent = title;
  document.getElementById("map-hint").textContent = map.plain
    ? "未加载县区地图：点击坐标网格选点" : "点击地图选点，或在右侧选择地标";
  document.getElementById("map-selection").textContent = "尚未选择位置";
  document.getElementById("map-send").disabled = true;
  document.getElementById("map-live").disabled = true;
  document.getElementById("live-start").hidden = !onLiveStart;
  document.getElementById("place-search").value = "";
  renderPicker();
  renderPlaces();
  document.getElementById("map-modal").hidden = false;
}

export function closePicker() {
  document.getElementById("map-modal").hidden = true;
}

export function setupPicker() {
  document.getElementById("map-close").onclick = closePicker;
  document.getElementById("map-modal").addEventListener("click", (ev) => {
    if (ev.target.id === "map-modal") closePicker();
  });
  document.getElementById("place-search").addEventListener("input", (ev) => renderPlaces(ev.target.value));
  document.getElementById("place-list").addEventListener("click", (ev) => {
    const li = ev.target.closest("[data-place]");
    if (li) choosePlace(map.places[Number(li.dataset.place)]);
  });
  document.getElementById("map-send").onclick = () => {
    if (!picked || !onPick) return;
    const sel = picked;
    closePicker();
    onPick(sel);
  };
  document.getElementById("map-live").onclick = () => {
    if (!picked || !onLive) return;
    const sel = picked;
    closePicker();
    onLive(sel, Number(document.getElementById("live-period").value));
  };
}
