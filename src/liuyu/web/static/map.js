// The Liuyu web map: every category as vector tiles, a layer tree, feature and station panels,
// search, a data-completeness view, Chinese and English. Plain ES modules, no build step.

import * as maplibregl from "../vendor/maplibre-gl/maplibre-gl.mjs";
import { api, esc, ROOT } from "./util.js";
import { lang, nameOf, setLang, t, translatePage } from "./i18n.js";
import {
  DEFAULT_VISIBLE, DRAW_ORDER, LOCAL_CJK_FONT, STYLES, WATER_CLASS_COLOURS, fallbackLayers, highlightLayer,
  setSectionClasses,
  setWaterBodyClasses,
} from "./styles.js";
import { closePanel, resizeChart, showFeature, showStation, unverifiedBadge } from "./panels.js";
import { closeDataView, openDataView, renderDataView } from "./dataview.js";
import { initSearch, retranslateSearch } from "./search.js";
import { initAlerts, retranslateAlerts } from "./alerts.js";
import { initLedgerLayer, retranslateLedger } from "./ledger_layer.js";
import { initAnalysis, retranslateAnalysis } from "./analysis.js";

const GROUPS = ["boundaries", "water", "terrain", "land", "protection", "network", "settlements", "analysis"];
const tilesUrl = (code) => `${ROOT}collections/${encodeURIComponent(code)}/tiles/WebMercatorQuad/{z}/{y}/{x}`;
/** Query a few pixels around a click, so thin lines and small points are easy to hit. */
const CLICK_TOLERANCE = 4;

const ctx = {
  config: null, catalog: [], categories: {}, codelists: {}, jurisdictions: [],
  visible: new Set(DEFAULT_VISIBLE), layerIds: {}, selection: null, periods: [], period: "",
};
let map = null;

/** Show a message in the status bar: an i18n key (re-translated with the page) or plain text. */
function status(message, isError = false) {
  const el = document.getElementById("status-msg");
  el.dataset.key = message.includes(".") && !message.includes(" ") ? message : "";
  el.textContent = el.dataset.key ? t(message) : message;
  el.classList.toggle("error", isError);
}

function groupsInUse() {
  const extra = [...new Set(ctx.catalog.map((c) => c.group))].filter((g) => !GROUPS.includes(g));
  return [...GROUPS, ...extra];
}

// --- map layers ---------------------------------------------------------------------------------
function baseStyle(config) {
  const style = {
    version: 8,
    sources: {},
    layers: [{ id: "background", type: "background", paint: { "background-color": "#eef0ea" } }],
  };
  if (config.basemap_url) {
    style.sources.basemap = { type: "raster", tiles: [config.basemap_url], tileSize: 256 };
    style.layers.push({ id: "basemap", type: "raster", source: "basemap" });
  }
  return style;
}

function drawRank(code) {
  const i = DRAW_ORDER.indexOf(code);
  return i < 0 ? -1 : i;
}

function addCategoryLayers() {
  const vector = ctx.catalog.filter((c) => c.geometry !== "raster").sort((a, b) => drawRank(a.code) - drawRank(b.code));
  const ground = [];
  const body = [];
  const labels = [];
  const highlights = [];
  for (const c of vector) {
    const layers = STYLES[c.code] ? STYLES[c.code].layers(c.code) : fallbackLayers(c.code, c.geometry);
    ctx.layerIds[c.code] = layers.map((l) => l.id);
    if (!c.version) continue; // nothing stored yet: no source, no tile requests
    const bounds = ctx.config.bbox ?? undefined;
    map.addSource(c.code, { type: "vector", tiles: [tilesUrl(c.code)], minzoom: 0, maxzoom: 16, bounds });
    const visibility = ctx.visible.has(c.code) ? "visible" : "none";
    for (const { labelPoints, ground: isGround, ...l } of [...layers, highlightLayer(c.code, c.geometry)]) {
      let spec = { ...l, source: c.code, "source-layer": c.code, layout: { ...(l.layout ?? {}), visibility } };
      if (labelPoints) {
        const source = `labels-${c.code}`;
        map.addSource(source, { type: "geojson", data: `${ROOT}api/labels/${encodeURIComponent(c.code)}` });
        spec = { ...l, source, layout: { ...(l.layout ?? {}), visibility } };
      }
      if (isGround) {
        if (!ctx.config.basemap_url) ground.push(spec); // an opaque ground would hide the basemap
      } else if (l.id.endsWith("-highlight")) highlights.push(spec);
      else if (l.type === "symbol") labels.push(spec);
      else body.push(spec);
    }
    ctx.layerIds[c.code].push(`${c.code}-highlight`);
  }
  for (const spec of [...ground, ...body, ...labels.reverse(), ...highlights]) map.addLayer(spec);
}

function setVisible(code, on) {
  if (on) ctx.visible.add(code);
  else ctx.visible.delete(code);
  for (const id of ctx.layerIds[code] ?? []) {
    if (map.getLayer(id)) map.setLayoutProperty(id, "visibility", on ? "visible" : "none");
  }
  const li = document.querySelector(`#layer-tree li[data-code="${CSS.escape(code)}"]`);
  if (li) {
    li.classList.toggle("on", on);
    const box = li.querySelector("input");
    if (box) box.checked = on;
  }
}

function interactiveLayers() {
  return [...ctx.visible].flatMap((code) => (ctx.layerIds[code] ?? [])
    .filter((id) => /-(fill|line|circle)$/.test(id) && map.getLayer(id)));
}

function highlight(code, id) {
  if (ctx.selection && map.getLayer(`${ctx.selection.code}-highlight`)) {
    map.setFilter(`${ctx.selection.code}-highlight`, ["==", ["get", "id"], "\u0000"]);
  }
  ctx.selection = code ? { code, id } : null;
  if (code && map.getLayer(`${code}-highlight`)) map.setFilter(`${code}-highlight`, ["==", ["get", "id"], id]);
}

function select(code, props) {
  highlight(code, props.id);
  ctx.selection.props = props;
  if (code === "stations") showStation(ctx, props);
  else showFeature(ctx, code, props);
}

function onClick(e) {
  const { x, y } = e.point;
  const box = [[x - CLICK_TOLERANCE, y - CLICK_TOLERANCE], [x + CLICK_TOLERANCE, y + CLICK_TOLERANCE]];
  const found = map.queryRenderedFeatures(box, { layers: interactiveLayers() });
  if (!found.length) {
    highlight(null);
    closePanel();
    return;
  }
  // the point nearest the click wins (stations of two networks often stand a few metres apart)
  const distance = (f) => {
    const p = map.project(f.geometry.coordinates);
    return Math.hypot(p.x - x, p.y - y);
  };
  const points = found.filter((f) => f.geometry.type === "Point").sort((a, b) => distance(a) - distance(b));
  const f = points[0] ?? found[0];
  select(f.source, { ...f.properties });
}

/** Padding for fitBounds that keeps the target clear of the side panel when it is open. */
function padding(base) {
  const panel = document.getElementById("panel");
  const right = panel.hidden ? base : base + panel.offsetWidth + 20;
  return { top: base, bottom: base, left: base, right };
}

function zoomToBasin(animate = true) {
  const b = ctx.config.bbox;
  if (b) map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: padding(30), animate });
}

function pickHit(hit) {
  setVisible(hit.category, true);
  select(hit.category, { id: hit.id, name: hit.name ?? undefined, code: hit.code ?? undefined });
  const b = hit.point ? [hit.point[0], hit.point[1], hit.point[0], hit.point[1]] : hit.bbox;
  if (b) {
    const maxZoom = hit.point ? Math.max(map.getZoom(), 13) : 14;
    map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: padding(80), maxZoom });
  }
}

// --- layer tree ---------------------------------------------------------------------------------
function swatch(c) {
  const s = STYLES[c.code];
  const first = s?.legend ? s.legend(ctx.codelists, nameOf)[0]?.[0] : null;
  const sw = s?.swatch ?? { fill: first ?? "#90a4ae" };
  if (sw.circle) return `<span class="swatch circle" style="background:${sw.circle}"></span>`;
  if (sw.fill) return `<span class="swatch fill" style="background:${sw.fill};border-color:${sw.line ?? sw.fill}"></span>`;
  return `<span class="swatch line" style="border-color:${sw.line}"></span>`;
}

function legend(c) {
  const s = STYLES[c.code];
  if (!s?.legend) return "";
  const entries = s.legend(ctx.codelists, nameOf);
  const shape = c.geometry.includes("Point") ? "circle" : "fill";
  return `<ul class="legend">${entries.map(([colour, label]) => `<li><span class="swatch ${shape}"
    style="background:${colour};border-color:${colour}"></span>${esc(label)}</li>`).join("")}</ul>`;
}

function treeItem(c) {
  const raster = c.geometry === "raster";
  const empty = !c.version;
  const disabled = raster || empty;
  const on = !disabled && ctx.visible.has(c.code);
  const note = raster ? t("tree.raster") : empty ? t("tree.empty") : "";
  return `<li class="layer${on ? " on" : ""}${disabled ? " disabled" : ""}" data-code="${esc(c.code)}"
      data-geometry="${esc(c.geometry)}" title="${esc(`${c.code}${note ? ` · ${note}` : ""}`)}">
    <label><input type="checkbox" data-code="${esc(c.code)}" ${on ? "checked" : ""} ${disabled ? "disabled" : ""}>
      ${swatch(c)}<span class="lname">${esc(nameOf(c))}</span>
      <span class="count">${empty ? "—" : raster ? "▦" : c.features.toLocaleString()}</span></label>
    ${disabled ? "" : legend(c)}</li>`;
}

function renderTree() {
  const html = groupsInUse().map((g) => {
    const cats = ctx.catalog.filter((c) => c.group === g);
    if (!cats.length) return "";
    return `<section class="group" data-group="${esc(g)}"><h3>${esc(t(`group.${g}`))}</h3>
      <ul>${cats.map(treeItem).join("")}</ul></section>`;
  }).join("");
  const tree = document.getElementById("layer-tree");
  tree.innerHTML = html;
}

// --- water-quality classes by period ------------------------------------------------------------
/** Class number of /api/assessments (1..6) → key of WATER_CLASS_COLOURS. */
const CLASS_KEYS = { 1: "I", 2: "II", 3: "III", 4: "IV", 5: "V", 6: "worse_than_V" };
const CLASS_LEGEND = [["II", "Ⅰ–Ⅱ"], ["III", "Ⅲ"], ["IV", "Ⅳ"], ["V", "Ⅴ"], ["worse_than_V", "劣Ⅴ"]];

function renderAssessControl() {
  let box = document.getElementById("assess-box");
  if (!box) {
    box = document.createElement("section");
    box.id = "assess-box";
    box.className = "group";
    document.getElementById("layer-tree").before(box);
    box.addEventListener("change", (e) => {
      if (e.target.id === "assess-period") showPeriod(e.target.value);
    });
  }
  const options = ctx.periods.map((p) => `<option value="${esc(p)}" ${p === ctx.period ? "selected" : ""}>${esc(periodName(p))}</option>`);
  box.innerHTML = `<h3>${esc(t("assess.title"))}</h3>
    <label>${esc(t("assess.period"))} <select id="assess-period">
      <option value="">${esc(t(ctx.periods.length ? "assess.none" : "assess.nodata"))}</option>${options.join("")}</select></label>
    <ul class="legend" style="display:${ctx.period ? "block" : "none"};margin-left:4px">${CLASS_LEGEND.map(([k, label]) => `<li><span class="swatch circle"
      style="background:${WATER_CLASS_COLOURS[k]};border-color:${WATER_CLASS_COLOURS[k]}"></span>${esc(label)}</li>`).join("")}
      ${ctx.assessment?.verified === false ? `<li class="note">${unverifiedBadge(ctx.assessment)} ${esc(t("assess.unverified"))}</li>` : ""}</ul>${bulletinLinks(ctx.period)}`;
}

/** Links to the monthly bulletin (GET /api/reports/monthly) when a month is chosen. */
function bulletinLinks(period) {
  if (!/^\d{4}-\d{2}$/.test(period)) return "";
  const url = `api/reports/monthly?month=${encodeURIComponent(period)}`;
  return `<p class="note"><a href="${url}" target="_blank" rel="noopener">月报 Monthly bulletin</a>
    · <a href="${url}&format=pdf" target="_blank" rel="noopener">PDF</a></p>`;
}

/** "2024-wet" → "2024 丰水期" (season names from /api/assessments/periods); months and years as they are. */
function periodName(p) {
  const season = ctx.seasonNames?.[p.slice(5)];
  return season ? `${p.slice(0, 4)} ${nameOf(season)}` : p;
}

/** Colour the water-quality sections by their class in `period` ("" = back to the station colours). */
async function showPeriod(period) {
  ctx.period = period;
  ctx.assessment = null;
  ctx.sectionClasses = {};
  renderAssessControl(); // the legend shows only while sections are coloured
  if (!period) {
    setSectionClasses(map, {});
    setWaterBodyClasses(map, []);
    return;
  }
  try {
    const body = await api(`api/assessments?period=${encodeURIComponent(period)}`);
    ctx.assessment = body;
    renderAssessControl();
    const classes = Object.fromEntries(body.assessments.filter((a) => CLASS_KEYS[a.class])
      .map((a) => [a.station_code, CLASS_KEYS[a.class]]));
    setVisible("stations", true);
    setSectionClasses(map, classes);
    setWaterBodyClasses(map, (body.water_bodies ?? []).map((b) => ({ ...b, key: CLASS_KEYS[b.class] })));
    ctx.sectionClasses = classes; // for tests and the console
    status(`${t("assess.shown")} ${periodName(period)}`);
  } catch (err) {
    status(`${t("assess.error")}: ${err.message}`, true);
  }
}

async function loadPeriods() {
  try {
    const body = await api("api/assessments/periods");
    ctx.seasonNames = body.season_names ?? {};
    ctx.periods = [...body.months, ...(body.seasons ?? []), ...(body.years ?? [])];
  } catch {
    ctx.periods = [];
  }
  renderAssessControl();
}

// --- language -----------------------------------------------------------------------------------
function applyLanguage() {
  translatePage();
  document.getElementById("btn-lang").textContent = t("lang.other");
  document.getElementById("basin-name").textContent = ctx.config ? nameOf(ctx.config.basin) : "";
  document.title = `${t("app.title")} · ${ctx.config ? nameOf(ctx.config.basin) : "Liuyu"}`;
  const msg = document.getElementById("status-msg");
  if (msg.dataset.key) msg.textContent = t(msg.dataset.key);
  if (!ctx.catalog.length) return;
  renderTree();
  renderAssessControl();
  retranslateSearch(ctx);
  retranslateAlerts();
  retranslateLedger();
  retranslateAnalysis();
  if (!document.getElementById("dataview").hidden) renderDataView(ctx, groupsInUse());
  if (ctx.selection && !document.getElementById("panel").hidden) select(ctx.selection.code, ctx.selection.props);
}

// --- start --------------------------------------------------------------------------------------
function wireUi() {
  document.getElementById("btn-lang").addEventListener("click", () => {
    setLang(lang() === "zh" ? "en" : "zh");
    applyLanguage();
  });
  document.getElementById("btn-basin").addEventListener("click", () => zoomToBasin());
  document.getElementById("btn-dataview").addEventListener("click", () => openDataView(ctx, groupsInUse()));
  document.getElementById("dataview-close").addEventListener("click", closeDataView);
  document.getElementById("dataview").addEventListener("click", (e) => {
    if (e.target.id === "dataview") closeDataView();
  });
  document.getElementById("panel-close").addEventListener("click", () => {
    highlight(null);
    closePanel();
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape") closeDataView();
  });
  document.getElementById("layer-tree").addEventListener("change", (e) => {
    if (e.target.matches("input[data-code]")) setVisible(e.target.dataset.code, e.target.checked);
  });
  window.addEventListener("resize", resizeChart);
}

function createMap() {
  const b = ctx.config.bbox;
  map = new maplibregl.Map({
    container: "map",
    style: baseStyle(ctx.config),
    bounds: b ? [[b[0], b[1]], [b[2], b[3]]] : undefined,
    center: b ? undefined : [116.9, 40.6],
    zoom: b ? undefined : 8,
    fitBoundsOptions: { padding: 40 },
    localIdeographFontFamily: LOCAL_CJK_FONT,
    attributionControl: { compact: true, customAttribution: "Liuyu 流域" },
    maxPitch: 0,
    dragRotate: false,
  });
  window.liuyuMap = map; // for tests and for the console
  window.liuyu = {
    ctx, setSectionClasses: (classes) => setSectionClasses(map, classes), select, setVisible, showPeriod,
  };
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-left");
  map.on("load", () => {
    addCategoryLayers();
    loadPeriods();
    initAlerts(map, { onStatus: status });
    initLedgerLayer(map);
    initAnalysis(map, ctx, { onStatus: status });
    document.body.dataset.ready = "layers";
    map.once("idle", () => status("status.ready"));
  });
  map.on("click", onClick);
  map.on("mousemove", (e) => {
    const hit = map.queryRenderedFeatures(e.point, { layers: interactiveLayers() }).length > 0;
    map.getCanvas().style.cursor = hit ? "pointer" : "";
    document.getElementById("coords").textContent =
      `${e.lngLat.lng.toFixed(5)}°E ${e.lngLat.lat.toFixed(5)}°N · z${map.getZoom().toFixed(1)}`;
  });
  map.on("error", (e) => {
    const url = e?.source?.tiles?.[0] ?? "";
    status(`${t("msg.tiles")}: ${e?.error?.message ?? e}${url ? ` (${e.sourceId})` : ""}`, true);
  });
}

async function start() {
  setLang(lang());
  translatePage();
  wireUi();
  try {
    const [config, catalog] = await Promise.all([api("api/config"), api("api/catalog")]);
    ctx.config = config;
    ctx.catalog = catalog.categories;
    ctx.codelists = catalog.codelists;
    ctx.jurisdictions = catalog.jurisdictions;
    ctx.categories = Object.fromEntries(catalog.categories.map((c) => [c.code, c]));
  } catch (err) {
    status(`${t("status.error")}: ${err.message}`, true);
    document.getElementById("layer-tree").innerHTML = `<p class="error">${esc(err.message)}</p>`;
    return;
  }
  applyLanguage();
  initSearch(ctx, pickHit);
  createMap();
}

start();
