// The analysis panel: run a zonal overlay, a named cross-analysis or the network-coverage analysis
// (POST /api/analysis/...), then show its stored layer: zones as a choropleth with a legend, the
// hotspots, or the gaps in the network (suggested new sections). Data: the result layers'
// OGC API Features items (analysis_zonal, cross_hotspots, network_gaps) as GeoJSON.

import { esc, ROOT } from "./util.js";
import { nameOf, t } from "./i18n.js";

const SOURCE = "analysis-result";
const RAMP = ["#fff5eb", "#fdd0a2", "#fd8d3c", "#d94801", "#7f2704"];
const HOTSPOT = "#d7301f";
const GAP = "#6a1b9a";
const STEEP = "#a1745a"; // the steep_slopes colour of styles.js
const state = {
  map: null, ctx: null, open: false, kind: "zonal", crosses: [], result: null, legend: null, busy: false,
  chosen: {}, // the theme, zones and cross-analysis last picked: the form keeps them when redrawn
};

function injectStyle() {
  if (document.getElementById("analysis-style")) return;
  const style = document.createElement("style");
  style.id = "analysis-style";
  style.textContent = `
    #analysis-box { position: fixed; top: 52px; left: 12px; z-index: 20; width: 340px; max-height: 78vh;
      overflow: auto; background: #fff; border: 1px solid #ccc; border-radius: 6px; padding: 8px 10px;
      box-shadow: 0 4px 16px rgba(0,0,0,.2); font-size: 13px; }
    #analysis-box h3 { margin: 2px 0 8px; font-size: 14px; }
    #analysis-box label { display: block; margin: 4px 0; }
    #analysis-box select, #analysis-box input { width: 100%; box-sizing: border-box; }
    #analysis-box table { border-collapse: collapse; width: 100%; margin-top: 6px; font-size: 12px; }
    #analysis-box td, #analysis-box th { border-top: 1px solid #eee; padding: 2px 4px; text-align: left; }
    #analysis-box .legend span { display: inline-block; width: 14px; height: 10px; margin-right: 4px; }
    #analysis-box .legend div { margin: 1px 0; }
    #analysis-box .meta { color: #666; font-size: 12px; }`;
  document.head.append(style);
}

function categories(filter, chosen) {
  return state.ctx.catalog.filter(filter)
    .map((c) => `<option value="${esc(c.code)}" ${c.code === chosen ? "selected" : ""}>${esc(nameOf(c))}</option>`).join("");
}

function form() {
  const polygons = (c) => c.geometry === "MultiPolygon" && c.group !== "analysis";
  const themes = (c) => polygons(c) || c.geometry === "raster";
  const kinds = ["zonal", "cross", "coverage", "slopes"]
    .map((k) => `<option value="${k}" ${k === state.kind ? "selected" : ""}>${esc(t(`analysis.kind.${k}`))}</option>`)
    .join("");
  let fields = "";
  if (state.kind === "zonal") {
    fields = `<label>${esc(t("analysis.theme"))}<select id="analysis-theme">${categories(themes, state.chosen.theme)}</select></label>
      <label>${esc(t("analysis.by"))}<select id="analysis-by">${categories(polygons, state.chosen.by)}</select></label>`;
  } else if (state.kind === "cross") {
    const opts = state.crosses.map((c) => `<option value="${esc(c.name)}" ${c.name === state.chosen.cross ? "selected" : ""}>${esc(nameOf({ name_zh: c.title_zh, name_en: c.title_en }))}</option>`);
    fields = `<label>${esc(t("analysis.cross"))}<select id="analysis-cross">${opts.join("")}</select></label>`;
  } else if (state.kind === "slopes") {
    fields = `<label>${esc(t("analysis.threshold"))}<input id="analysis-threshold" type="number" min="1" max="89"
      step="0.5" value="${esc(state.chosen.threshold ?? 25)}"></label>`;
  }
  return `<h3>${esc(t("analysis.title"))}</h3>
    <label>${esc(t("analysis.kind"))}<select id="analysis-kind">${kinds}</select></label>${fields}
    <button id="analysis-run" type="button" ${state.busy ? "disabled" : ""}>${esc(t(state.busy ? "analysis.running" : "analysis.run"))}</button>
    <button id="analysis-clear" type="button">${esc(t("analysis.clear"))}</button>
    <div id="analysis-out">${output()}</div>`;
}

function output() {
  const r = state.result;
  if (!r) return "";
  const legend = state.legend
    ? `<div class="legend"><b>${esc(t(state.legend.title))}</b>${state.legend.items
      .map(([c, label, key]) => `<div><span style="background:${c}"></span>${esc(label)} ${esc(key ? t(key) : "")}</div>`)
      .join("")}</div>`
    : "";
  // coverage: the gap list is what a user acts on; the density check is in the CSV
  const all = r.analysis === "coverage" && r.tables?.gaps ? r.tables.gaps : r.rows;
  const rows = all.slice(0, 12);
  const gapCols = ["code", "river_name", "boundary", "between", "nearest_section_km"];
  const cols = rows.length ? (all === r.rows ? Object.keys(rows[0]).slice(0, 5) : gapCols) : [];
  const fmt = (v) => (typeof v === "number" ? (Number.isInteger(v) ? v : v.toFixed(3)) : v ?? "");
  const table = rows.length
    ? `<table><tr>${cols.map((c) => `<th>${esc(c)}</th>`).join("")}</tr>${rows
      .map((row) => `<tr>${cols.map((c) => `<td>${esc(fmt(row[c]))}</td>`).join("")}</tr>`).join("")}</table>`
    : "";
  const inputs = Object.entries(r.inputs).map(([k, v]) => `${k} v${v ?? "–"}`).join(", ");
  return `${legend}<p class="meta">${esc(t("analysis.inputs"))}: ${esc(inputs)}</p>${table}
    <p class="meta">${all.length} ${esc(t("analysis.rows"))} ·
    <a href="${ROOT}${esc(r.csv)}" download>CSV</a></p>`;
}

function render() {
  const box = document.getElementById("analysis-box");
  box.hidden = !state.open;
  document.getElementById("btn-analysis").textContent = t("analysis.button");
  if (state.open) box.innerHTML = form();
}

async function post(path) {
  const res = await fetch(ROOT + path, { method: "POST", headers: { Accept: "application/json" } });
  const body = await res.json();
  if (!res.ok) throw new Error(body.description ?? `${res.status}`);
  return body;
}

async function items(code) {
  const res = await fetch(`${ROOT}collections/${encodeURIComponent(code)}/items?limit=10000&f=json`,
    { headers: { Accept: "application/geo+json" } });
  if (!res.ok) throw new Error(`${code}: ${res.status}`);
  return res.json();
}

/** Quantile breaks of the values, five colour classes. */
function choropleth(data, field, title) {
  const values = data.features.map((f) => f.properties[field]).filter((v) => typeof v === "number").sort((a, b) => a - b);
  for (const f of data.features) f.properties.value = f.properties[field] ?? null;
  if (!values.length) return { paint: { "fill-color": "#ccc", "fill-opacity": 0.6 }, legend: null };
  // quintile breaks, strictly increasing (a "step" expression refuses repeated stops)
  const lo = values[0];
  const hi = values[values.length - 1];
  const breaks = [...new Set([1, 2, 3, 4].map((i) => values[Math.floor((i * values.length) / 5)]))]
    .filter((b) => b > lo && b <= hi);
  const expr = ["step", ["coalesce", ["get", "value"], -1e30], RAMP[0]];
  breaks.forEach((b, i) => expr.push(b, RAMP[i + 1]));
  const edges = [lo, ...breaks, hi];
  const items = edges.slice(0, -1).map((e, i) => [RAMP[i], `${e.toFixed(3)} – ${edges[i + 1].toFixed(3)}`]);
  return { paint: { "fill-color": expr, "fill-opacity": 0.75, "fill-outline-color": "#555" }, legend: { title, items } };
}

function show(data, kind) {
  clearLayers();
  state.map.addSource(SOURCE, { type: "geojson", data });
  if (kind === "coverage") {
    state.map.addLayer({ id: `${SOURCE}-circle`, type: "circle", source: SOURCE,
      paint: { "circle-radius": 7, "circle-color": GAP, "circle-stroke-color": "#fff", "circle-stroke-width": 2 } });
    state.legend = { title: "analysis.gaps", items: [[GAP, `${data.features.length}`, "analysis.gap"]] };
    return;
  }
  if (kind === "cross") {
    state.map.addLayer({ id: `${SOURCE}-fill`, type: "fill", source: SOURCE,
      paint: { "fill-color": HOTSPOT, "fill-opacity": 0.7, "fill-outline-color": "#67000d" } });
    state.map.addLayer({ id: `${SOURCE}-line`, type: "line", source: SOURCE,
      paint: { "line-color": HOTSPOT, "line-width": 1.5 } });
    state.legend = { title: "analysis.hotspots", items: [[HOTSPOT, `${data.features.length}`, "analysis.polygons"]] };
    return;
  }
  const raster = state.ctx.categories[state.result.params.theme]?.geometry === "raster";
  const field = raster ? (state.result.params.threshold != null ? "theme_share" : "mean") : "dominant_share";
  if (raster) {
    // the statistics come with the result rows too: join them by zone, whatever the layer holds
    const byZone = Object.fromEntries(state.result.rows.map((row) => [row.zone, row]));
    const key = field === "mean" ? "mean" : "share_above";
    for (const f of data.features) f.properties[field] = byZone[f.properties.code]?.[key] ?? f.properties[field];
  }
  const { paint, legend } = choropleth(data, field, `analysis.value.${field}`);
  state.map.addLayer({ id: `${SOURCE}-fill`, type: "fill", source: SOURCE, paint });
  state.legend = legend;
}

/** The new steep slopes are a catalogue layer (tens of thousands of polygons): redraw its vector tiles. */
function showSlopes(result) {
  clearLayers();
  const source = state.map.getSource("steep_slopes");
  const url = `${ROOT}collections/steep_slopes/tiles/WebMercatorQuad/{z}/{y}/{x}?v=${result.layer_version}`;
  if (source?.setTiles) source.setTiles([url]);
  const box = document.querySelector('#layer-tree input[data-code="steep_slopes"]');
  if (box && !box.checked && !box.disabled) box.click(); // the layer tree shows it (map.js)
  const n = result.rows.reduce((sum, row) => sum + (row.polygons ?? 0), 0);
  state.legend = { title: "analysis.steep", items: [[STEEP, `${n}`, "analysis.polygons"]] };
}

function clearLayers() {
  for (const id of [`${SOURCE}-fill`, `${SOURCE}-line`, `${SOURCE}-circle`]) if (state.map.getLayer(id)) state.map.removeLayer(id);
  if (state.map.getSource(SOURCE)) state.map.removeSource(SOURCE);
  state.legend = null;
}

async function run(onStatus) {
  const kind = state.kind;
  let path;
  if (kind === "zonal") {
    const theme = document.getElementById("analysis-theme").value;
    const by = document.getElementById("analysis-by").value;
    Object.assign(state.chosen, { theme, by });
    path = `api/analysis/zonal?theme=${encodeURIComponent(theme)}&by=${encodeURIComponent(by)}`;
  } else if (kind === "cross") {
    state.chosen.cross = document.getElementById("analysis-cross").value;
    path = `api/analysis/cross/${encodeURIComponent(state.chosen.cross)}`;
  } else if (kind === "slopes") {
    state.chosen.threshold = document.getElementById("analysis-threshold").value || "25";
    path = `api/analysis/steep-slopes?threshold=${encodeURIComponent(state.chosen.threshold)}`;
  } else path = "api/analysis/coverage";
  state.busy = true;
  render();
  try {
    const result = await post(path);
    result.csv = path.includes("?") ? `${path}&f=csv` : `${path}?f=csv`;
    state.result = result;
    if (kind === "slopes") showSlopes(result);
    else {
      const data = await items(result.layer);
      if (kind === "cross") data.features = data.features.filter((f) => f.properties.analysis === result.params.name);
      show(data, kind);
    }
    onStatus(`${t("analysis.done")}: ${t(`analysis.kind.${kind}`)}`);
  } catch (err) {
    onStatus(`${t("analysis.error")}: ${err.message}`, true);
  } finally {
    state.busy = false;
    render();
  }
}

function wire(onStatus) {
  document.getElementById("btn-analysis").addEventListener("click", () => {
    state.open = !state.open;
    render();
  });
  const box = document.getElementById("analysis-box");
  box.addEventListener("change", (e) => {
    if (e.target.id === "analysis-kind") {
      state.kind = e.target.value;
      render();
    }
  });
  box.addEventListener("click", (e) => {
    if (e.target.id === "analysis-run") run(onStatus);
    if (e.target.id === "analysis-clear") {
      clearLayers();
      state.result = null;
      render();
    }
  });
}

/** Add the top-bar button and the panel; call once the map's style has loaded. */
export async function initAnalysis(map, ctx, { onStatus = () => {} } = {}) {
  state.map = map;
  state.ctx = ctx;
  injectStyle();
  const button = document.createElement("button");
  button.id = "btn-analysis";
  button.type = "button";
  document.getElementById("btn-lang").before(button);
  const box = document.createElement("div");
  box.id = "analysis-box";
  box.hidden = true;
  document.getElementById("layout").append(box);
  wire(onStatus);
  try {
    const res = await fetch(`${ROOT}api/analysis/cross`, { headers: { Accept: "application/json" } });
    state.crosses = res.ok ? await res.json() : [];
  } catch {
    state.crosses = [];
  }
  render();
  window.liuyuAnalysis = state; // for tests and the console
}

/** Redraw the panel in the current language. */
export function retranslateAnalysis() {
  if (state.map) render();
}
