// The problem ledger on the map: a GeoJSON layer coloured by state, with state and category filters
// in the layer tree's column and a popup linking to the ledger page. Data: /api/ledger/problems.geojson.

import * as maplibregl from "../vendor/maplibre-gl/maplibre-gl.mjs";
import { api, esc, ROOT } from "./util.js";
import { nameOf, t } from "./i18n.js";
import { STATE_COLOURS } from "./ledger_strings.js";

const SOURCE = "ledger";
const state = { map: null, codes: null, filters: { state: "", category: "" }, visible: true, count: 0 };
const colour = ["match", ["get", "state"], ...Object.entries(STATE_COLOURS).flat(), "#607d8b"];

function addLayers(map) {
  map.addSource(SOURCE, { type: "geojson", data: { type: "FeatureCollection", features: [] } });
  map.addLayer({ id: "ledger-fill", type: "fill", source: SOURCE, filter: ["==", ["geometry-type"], "Polygon"],
    paint: { "fill-color": colour, "fill-opacity": 0.35, "fill-outline-color": colour } });
  map.addLayer({ id: "ledger-point", type: "circle", source: SOURCE, filter: ["==", ["geometry-type"], "Point"],
    paint: { "circle-radius": 6, "circle-color": colour, "circle-stroke-color": ["case", ["get", "overdue"], "#000", "#fff"],
      "circle-stroke-width": ["case", ["get", "overdue"], 2.5, 1.5] } });
  for (const id of ["ledger-fill", "ledger-point"]) {
    map.on("click", id, (e) => popup(map, e));
    map.on("mouseenter", id, () => { map.getCanvas().style.cursor = "pointer"; });
  }
}

function popup(map, e) {
  const p = e.features[0].properties;
  const st = state.codes?.states.find((s) => s.code === p.state);
  new maplibregl.Popup({ closeButton: true })
    .setLngLat(e.lngLat)
    .setHTML(`<b>${esc(p.code)}</b> ${esc(nameOf(st) || p.state)}<br>${esc(p.title)}<br>
      <a href="${ROOT}ledger#${encodeURIComponent(p.code)}">${esc(t("ledger.open"))}</a>`)
    .addTo(map);
}

async function refresh() {
  const params = new URLSearchParams(Object.entries(state.filters).filter(([, v]) => v));
  try {
    const data = await api(`api/ledger/problems.geojson?${params}`);
    state.map.getSource(SOURCE)?.setData(data);
    state.count = data.features.length;
    document.body.dataset.ledger = String(state.count);
    render();
  } catch {
    // no ledger on this server: the box stays empty
  }
}

function render() {
  const box = document.getElementById("ledger-box");
  if (!box || !state.codes) return;
  const opts = (list, cur) => `<option value="">${esc(t("ledger.all"))}</option>`
    + list.map((x) => `<option value="${esc(x.code)}" ${x.code === cur ? "selected" : ""}>${esc(nameOf(x))}</option>`).join("");
  box.innerHTML = `<h3>${esc(t("ledger.layer"))} <span class="count">${state.count}</span></h3>
    <label><input type="checkbox" id="ledger-on" ${state.visible ? "checked" : ""}> ${esc(t("ledger.layer.show"))}</label>
    <label>${esc(t("ledger.state"))} <select id="ledger-state">${opts(state.codes.states, state.filters.state)}</select></label>
    <label>${esc(t("ledger.category"))} <select id="ledger-category">${opts(state.codes.categories, state.filters.category)}</select></label>
    <ul class="ledger-legend">${state.codes.states.map((s) => `<li><span class="swatch circle"
      style="background:${STATE_COLOURS[s.code]};border-color:${STATE_COLOURS[s.code]}"></span>${esc(nameOf(s))}</li>`).join("")}</ul>`;
}

function setVisible(on) {
  state.visible = on;
  for (const id of ["ledger-fill", "ledger-point"]) state.map.setLayoutProperty(id, "visibility", on ? "visible" : "none");
}

function injectStyle() {
  if (document.getElementById("ledger-style")) return;
  const style = document.createElement("style");
  style.id = "ledger-style";
  style.textContent = `
    #link-ledger { color: #fff; border: 1px solid rgba(255,255,255,.35); border-radius: 4px; padding: 4px 10px;
      text-decoration: none; background: rgba(255,255,255,.12); white-space: nowrap; }
    #link-ledger:hover { background: rgba(255,255,255,.25); }
    #ledger-box label { display: block; margin: 3px 0 3px 4px; }
    #ledger-box .ledger-legend { list-style: none; margin: 4px 0 0 4px; padding: 0; columns: 2; font-size: 12px; }`;
  document.head.append(style);
}

/** Add the ledger layer and its filter box (above the layer tree) to the map. */
export async function initLedgerLayer(map) {
  state.map = map;
  injectStyle();
  addLayers(map);
  try {
    state.codes = await api("api/ledger/codes");
  } catch {
    return;
  }
  const box = document.createElement("section");
  box.id = "ledger-box";
  box.className = "group";
  document.getElementById("layer-tree").before(box);
  box.addEventListener("change", (e) => {
    if (e.target.id === "ledger-on") setVisible(e.target.checked);
    if (e.target.id === "ledger-state") state.filters.state = e.target.value;
    if (e.target.id === "ledger-category") state.filters.category = e.target.value;
    if (e.target.id !== "ledger-on") refresh();
  });
  window.liuyuLedger = { state, refresh };
  await refresh();
}

/** Re-draw the filter box in the current language. */
export function retranslateLedger() {
  render();
}
