// The side panel: a feature's attributes, or a station with its series and an ECharts chart.

import * as echarts from "../vendor/echarts/echarts.esm.min.mjs";
import { api, esc } from "./util.js";
import { lang, nameOf, t } from "./i18n.js";
import { STATION_KIND_COLOURS } from "./styles.js";

const panel = () => document.getElementById("panel");
const body = () => document.getElementById("panel-body");
let chart = null;
let token = 0; // the latest selection; answers to older requests are dropped

/** Series shown first when a station opens, in this order of preference. */
const PREFERRED = ["tp", "nh3n", "codmn", "do", "cod", "tn", "flow", "stage", "rainfall", "storage"];
/** Station fields shown at once; the rest are under "more". */
const STATION_MAIN = ["kind", "role", "river", "target_class", "agency", "control_level", "location"];

export function closePanel() {
  token += 1;
  disposeChart();
  panel().hidden = true;
  body().innerHTML = "";
}

function disposeChart() {
  if (chart) {
    chart.dispose();
    chart = null;
  }
}

function open(html) {
  disposeChart();
  body().innerHTML = html;
  panel().hidden = false;
}

const UNITS = { deg: "°", km2: "km²", m2: "m²", m3: "m³", "m3/d": "m³/d", "1e8 m3": "10⁸ m³" };

/** A unit as it is printed: km2 -> km², deg -> °. */
export function prettyUnit(unit) {
  return UNITS[unit] ?? unit.replace(/([a-z])([23])\b/g, (_, c, n) => c + (n === "2" ? "²" : "³"));
}

/** A field's value as people read it: code-list names, units, plain dates. */
function display(field, value, codelists) {
  if (value === null || value === undefined || value === "") return "";
  const list = field?.codelist ? codelists[field.codelist] : null;
  if (list && list[String(value)]) return `${nameOf({ name_zh: list[value][0], name_en: list[value][1] })}`;
  const text = typeof value === "number" ? String(Math.round(value * 1e6) / 1e6) : String(value);
  return field?.unit && field.unit !== "1" ? `${text} ${prettyUnit(field.unit)}` : text;
}

function rows(category, props, codelists, only = null) {
  const out = [];
  for (const f of category.fields) {
    if (only && !only.includes(f.name)) continue;
    const v = display(f, props[f.name], codelists);
    if (v !== "") out.push(`<tr><th>${esc(nameOf(f))}</th><td>${esc(v)}</td></tr>`);
  }
  return out.join("");
}

function header(ctx, category, props) {
  const title = props.name ?? props.code ?? props.id ?? "";
  const jur = ctx.jurisdictions.find((j) => j.code === props.jurisdiction);
  return `<h2 class="panel-title">${esc(title)}</h2>
    <p class="panel-sub"><span>${esc(nameOf(category))}</span>
    ${jur ? ` · <span>${esc(nameOf(jur))}</span>` : ""}</p>`;
}

/** Attributes of a clicked feature: the tile's properties at once, then the full feature. */
export async function showFeature(ctx, code, props) {
  const mine = ++token;
  const category = ctx.categories[code];
  const render = (p) => {
    open(`${header(ctx, category, p)}
      <table class="attrs" data-category="${esc(code)}">${rows(category, p, ctx.codelists)}
      <tr><th>${esc(t("panel.id"))}</th><td><code>${esc(p.id ?? "")}</code></td></tr></table>`);
  };
  render(props);
  if (props.id === undefined) return;
  try {
    const full = await api(`collections/${encodeURIComponent(code)}/items/${encodeURIComponent(props.id)}?f=json`);
    if (mine === token && full?.properties) render({ ...props, ...full.properties, id: props.id });
  } catch {
    // the tile's properties are all the fields; the full feature only adds what tiles may drop
  }
}

function seriesItem(s, selected) {
  const unit = s.unit && s.unit !== "1" ? ` (${esc(s.unit)})` : "";
  const last = s.last ? s.last.slice(0, 10) : "—";
  const method = s.method ? `<span class="method">${esc(s.method)}</span>` : "";
  return `<li data-property="${esc(s.property)}" data-method="${esc(s.method)}" class="${selected ? "selected" : ""}"
      role="option" tabindex="0"><span class="sname">${esc(nameOf(s))}${unit}</span>${method}
      <span class="scount">${s.count}</span><span class="slast">${esc(last)}</span></li>`;
}

/** A station: its main attributes, its series and a chart of the chosen one. */
export async function showStation(ctx, props) {
  const mine = ++token;
  const category = ctx.categories.stations;
  open(`${header(ctx, category, props)}<p class="kind" id="station-kind"><code>${esc(props.code ?? "")}</code></p>
    <div id="station-body" class="station" data-station="${esc(props.code ?? "")}">
      <p class="muted">${esc(t("status.loading"))}</p></div>`);
  let station;
  try {
    station = await api(`api/stations/${encodeURIComponent(props.code)}`);
  } catch (err) {
    if (mine === token) document.getElementById("station-body").innerHTML = `<p class="error">${esc(t("status.error"))}: ${esc(err.message)}</p>`;
    return;
  }
  if (mine !== token) return;
  const attrs = station.attributes;
  const colour = STATION_KIND_COLOURS[attrs.kind] ?? "#607d8b";
  const kind = display(category.fields.find((f) => f.name === "kind"), attrs.kind, ctx.codelists);
  document.getElementById("station-kind").innerHTML =
    `<span class="dot" style="background:${colour}"></span>${esc(kind)} · <code>${esc(station.code)}</code>`;
  if (!props.name) document.querySelector("#panel .panel-title").textContent = attrs.name ?? station.code;
  const jur = ctx.jurisdictions.find((j) => j.code === station.jurisdiction);
  document.querySelector("#panel .panel-sub").textContent = [nameOf(category), jur && nameOf(jur)]
    .filter(Boolean).join(" · ");
  const more = category.fields.map((f) => f.name).filter((n) => !STATION_MAIN.includes(n));
  const list = station.series;
  const first = PREFERRED.map((p) => list.find((s) => s.property === p)).find(Boolean) ?? list[0];
  document.getElementById("station-body").innerHTML = `
    <table class="attrs">${rows(category, attrs, ctx.codelists, STATION_MAIN)}</table>
    <details><summary>${esc(t("panel.more"))}</summary>
      <table class="attrs">${rows(category, attrs, ctx.codelists, more)}</table></details>
    <h3>${esc(t("panel.series"))} <span class="muted">(${list.length})</span></h3>
    ${list.length ? `<ul id="series-list" role="listbox">${list.map((s) => seriesItem(s, s === first)).join("")}</ul>
      <div id="station-chart" class="chart"></div>` : `<p class="muted">${esc(t("panel.noseries"))}</p>`}`;
  if (!first) return;
  const listEl = document.getElementById("series-list");
  const choose = (li) => {
    for (const el of listEl.children) el.classList.toggle("selected", el === li);
    const s = list.find((x) => x.property === li.dataset.property && x.method === li.dataset.method);
    drawSeries(station, s, mine);
  };
  listEl.addEventListener("click", (e) => {
    const li = e.target.closest("li");
    if (li) choose(li);
  });
  listEl.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && e.target.closest("li")) choose(e.target.closest("li"));
  });
  drawSeries(station, first, mine);
}

/** Break the line where the gap between two observations is far longer than usual. */
function withGaps(points) {
  if (points.length < 3) return points;
  const steps = points.slice(1).map((p, i) => p[0] - points[i][0]).sort((a, b) => a - b);
  const usual = steps[Math.floor(steps.length / 2)];
  const out = [points[0]];
  for (let i = 1; i < points.length; i += 1) {
    if (points[i][0] - points[i - 1][0] > Math.max(usual * 5, 36e5)) out.push([points[i - 1][0] + usual, null]);
    out.push(points[i]);
  }
  return out;
}

async function drawSeries(station, s, mine) {
  const el = document.getElementById("station-chart");
  if (!el) return;
  disposeChart();
  el.innerHTML = `<p class="muted">${esc(t("chart.loading"))}</p>`;
  const q = new URLSearchParams({ property: s.property });
  let data;
  try {
    data = await api(`api/stations/${encodeURIComponent(station.code)}/observations?${q}`);
  } catch (err) {
    if (mine === token) el.innerHTML = `<p class="error">${esc(err.message)}</p>`;
    return;
  }
  if (mine !== token || !document.body.contains(el)) return;
  const obs = data.observations.filter((o) => !s.method || o.method === s.method);
  el.innerHTML = "";
  if (!obs.length) {
    el.innerHTML = `<p class="muted">${esc(t("chart.empty"))}</p>`;
    return;
  }
  const at = (o) => Date.parse(o.time);
  const line = withGaps(obs.map((o) => [at(o), o.value]));
  const censored = obs.filter((o) => o.censor).map((o) => [at(o), o.value, o.censor]);
  const flagged = obs.filter((o) => o.qc_flag).map((o) => [at(o), o.value, o.qc_flag]);
  const unit = data.unit && data.unit !== "1" ? data.unit : "";
  chart = echarts.init(el, null, { renderer: "canvas", locale: lang() === "en" ? "EN" : "ZH" });
  chart.setOption({
    animation: false,
    textStyle: { fontFamily: "inherit" },
    title: { text: `${nameOf(data)}${unit ? ` (${unit})` : ""}`, left: 4, top: 2, textStyle: { fontSize: 13, fontWeight: 600 } },
    legend: { top: 24, right: 4, itemWidth: 14, itemHeight: 9, textStyle: { fontSize: 11 },
      data: [t("chart.value"), t("chart.censored"), t("chart.flagged")] },
    grid: { left: 46, right: 14, top: 48, bottom: 50 },
    tooltip: { trigger: "axis", valueFormatter: (v) => (v === null || v === undefined ? "—" : `${v} ${unit}`) },
    xAxis: { type: "time" },
    yAxis: { type: "value", scale: true },
    dataZoom: [{ type: "inside" }, { type: "slider", height: 16, bottom: 6 }],
    series: [
      { name: t("chart.value"), type: "line", data: line, showSymbol: line.length < 150, symbolSize: 4,
        lineStyle: { width: 1.2, color: "#1f5a99" }, itemStyle: { color: "#1f5a99" }, connectNulls: false },
      { name: t("chart.censored"), type: "scatter", data: censored, symbol: "emptyTriangle", symbolRotate: 180,
        symbolSize: 8, itemStyle: { color: "#6d6d6d" }, z: 3 },
      { name: t("chart.flagged"), type: "scatter", data: flagged, symbol: "diamond", symbolSize: 8,
        itemStyle: { color: "#d62728" }, z: 4 },
    ],
  });
  el.dataset.property = s.property;
  el.dataset.points = String(obs.length);
  el.dataset.lang = lang();
}

export function resizeChart() {
  if (chart) chart.resize();
}
