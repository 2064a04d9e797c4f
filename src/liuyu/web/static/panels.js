// The side panel: a feature's attributes, or a station with its class history (water-quality
// sections), its series and an ECharts chart with the QC status of every point marked.

import * as echarts from "../vendor/echarts/echarts.esm.min.mjs";
import { api, esc } from "./util.js";
import { lang, nameOf, t } from "./i18n.js";
import { QC_MARKS, STATION_KIND_COLOURS, classColour, classInk } from "./styles.js";

const panel = () => document.getElementById("panel");
const body = () => document.getElementById("panel-body");
let chart = null;
let token = 0; // the latest selection; answers to older requests are dropped
/** Raw values, or local daily / monthly statistics (/api/stations/{code}/series?agg=). */
const AGGS = ["raw", "day", "month"];
/** Above this many points a raw series shows only its last RAW_DAYS days. */
const RAW_LIMIT = 5000;
const RAW_DAYS = 90;
let agg = "raw";

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

/**
 * The "未核实 unverified" badge for any result whose limits are not yet taken from the official
 * text (`verified === false` in the API's answer, e.g. results under DB11/1612-2019); "" otherwise.
 */
export function unverifiedBadge(result) {
  if (!result || result.verified !== false) return "";
  return `<span class="unverified" title="${esc(t("badge.unverified.title"))}">未核实 unverified</span>`;
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
    ${attrs.kind === "water_quality" ? `<div id="class-history"></div>` : ""}
    ${DISCHARGE_KINDS.includes(attrs.kind) ? `<div id="discharge"></div>` : ""}
    <h3>${esc(t("panel.series"))} <span class="muted">(${list.length})</span></h3>
    ${list.length ? `<ul id="series-list" role="listbox">${list.map((s) => seriesItem(s, s === first)).join("")}</ul>
      <div id="chart-agg" class="agg" role="group">${AGGS.map((a) => `<button type="button" data-agg="${a}"
        class="${a === agg ? "on" : ""}">${esc(t(`chart.agg.${a}`))}</button>`).join("")}</div>
      <div id="station-chart" class="chart"></div>` : `<p class="muted">${esc(t("panel.noseries"))}</p>`}`;
  if (attrs.kind === "water_quality") showHistory(station.code, mine);
  if (DISCHARGE_KINDS.includes(attrs.kind)) showDischarge(ctx, station, mine);
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
  document.getElementById("chart-agg").addEventListener("click", (e) => {
    const button = e.target.closest("button[data-agg]");
    if (!button) return;
    agg = button.dataset.agg;
    for (const b of button.parentElement.children) b.classList.toggle("on", b === button);
    choose(listEl.querySelector("li.selected") ?? listEl.firstElementChild);
  });
  drawSeries(station, first, mine);
}

// --- class history (GB 3838-2002, /api/assessments/history) -----------------------------------------
function historyCell(h) {
  const tip = [h.period, h.label || "—", h.target ? `${t("history.target")} ${h.target}` : "",
    h.met === false ? t("history.notmet") : "", h.main_pollutants].filter(Boolean).join(" · ");
  return `<li class="hcell${h.met === false ? " notmet" : ""}" data-period="${esc(h.period)}" data-class="${h.class ?? ""}"
    style="background:${classColour(h.class)};color:${classInk(h.class)}" title="${esc(tip)}"
    aria-label="${esc(tip)}">${esc(h.label)}</li>`;
}

function historyRow(h) {
  const met = h.met === null ? "—" : h.met ? t("history.met") : t("history.notmet");
  return `<tr data-period="${esc(h.period)}"><td>${esc(h.period)}</td>
    <td><span class="hchip" style="background:${classColour(h.class)};color:${classInk(h.class)}">${esc(h.label || "—")}</span>
    ${unverifiedBadge(h)}</td><td>${esc(h.target || "—")}</td><td class="${h.met === false ? "error" : ""}">${esc(met)}</td>
    <td>${esc(h.main_pollutants || "—")}</td><td class="num">${h.n_samples}</td></tr>`;
}

function historyLegend() {
  const keys = [[2, "Ⅰ–Ⅱ"], [3, "Ⅲ"], [4, "Ⅳ"], [5, "Ⅴ"], [6, "劣Ⅴ"]];
  return `<ul class="hlegend">${keys.map(([n, label]) => `<li><span class="swatch fill"
    style="background:${classColour(n)};border-color:${classColour(n)}"></span>${esc(label)}</li>`).join("")}
    <li><span class="swatch notmet"></span>${esc(t("history.notmet"))}</li></ul>`;
}

/** The section's class in every month with lab samples: a coloured strip, and a table under "more". */
async function showHistory(code, mine) {
  const box = document.getElementById("class-history");
  let body;
  try {
    body = await api(`api/assessments/history?station=${encodeURIComponent(code)}`);
  } catch (err) {
    if (mine === token && box) box.innerHTML = `<p class="muted">${esc(t("history.none"))}</p>`;
    return;
  }
  if (mine !== token || !document.body.contains(box)) return;
  const rows = body.history;
  const latest = rows[rows.length - 1];
  box.dataset.months = String(rows.length);
  box.innerHTML = `<h3>${esc(t("history.title"))} ${unverifiedBadge(body)}
      <span class="muted">${esc(rows[0].period)} – ${esc(latest.period)}</span></h3>
    <ol class="hstrip" aria-label="${esc(t("history.title"))}">${rows.map(historyCell).join("")}</ol>
    ${historyLegend()}
    ${body.verified === false ? `<p class="note unverified-note">${esc(t("assess.unverified"))}</p>` : ""}
    <details><summary>${esc(t("history.table"))}</summary>
      <table class="attrs history"><thead><tr><th>${esc(t("history.month"))}</th><th>${esc(t("history.class"))}</th>
        <th>${esc(t("history.target"))}</th><th>${esc(t("history.met"))}</th><th>${esc(t("history.pollutants"))}</th>
        <th>n</th></tr></thead><tbody>${[...rows].reverse().map(historyRow).join("")}</tbody></table></details>`;
}

// --- discharge compliance of a sewage plant or rural facility (/api/discharge) ---------------------
/** Station kinds judged against a discharge standard (assess/discharge_rules.toml). */
const DISCHARGE_KINDS = ["sewage_outfall", "rural_sewage"];
const DISCHARGE_TEXT = {
  zh: { title: "排放达标", item: "指标", value: "最差日均值", limit: "限值", multiple: "超标倍数",
    over: "超标", ok: "达标", none: "无数据", empty: "本时段无排放评价结果", days: "超标天数", result: "判定", nolimit: "无限值",
    note: "标“未核实 unverified”的结果所依据的限值尚未按官方文本核实。" },
  en: { title: "Discharge compliance", item: "Item", value: "Worst daily mean", limit: "Limit",
    multiple: "Multiple over", over: "over", ok: "met", none: "no data", empty: "No discharge results for this period",
    days: "Days over", result: "Result", nolimit: "no limit", note: "Results marked 未核实 unverified depend on limits not yet checked against the official text." },
};

/** The period the panel judges: the map's chosen period, else the month of the station's last observation. */
function dischargePeriod(ctx, station) {
  if (ctx.period) return ctx.period;
  const last = station.series.map((s) => s.last ?? "").sort().pop();
  return last ? last.slice(0, 7) : (ctx.periods ?? []).find((p) => /^\d{4}-\d{2}$/.test(p)) ?? "";
}

function dischargeRow(r, tx) {
  const limit = r.limit ?? (r.limit_low != null ? `${r.limit_low}–${r.limit_high}` : null);
  const state = r.value == null ? tx.none : limit == null ? tx.nolimit : r.exceed ? tx.over : tx.ok;
  return `<tr data-item="${esc(r.property_code)}" class="${r.exceed ? "over" : ""}">
    <td>${esc(lang() === "en" ? r.property_code : r.item_name || r.property_code)}</td>
    <td class="num">${r.value ?? "—"}</td><td class="num">${limit ?? "—"}</td>
    <td class="${r.exceed ? "error" : ""}" style="white-space:nowrap">${esc(state)}${r.exceed && r.multiple != null ? ` (${r.multiple.toFixed(2)})` : ""}
      ${unverifiedBadge(r)}</td><td class="num">${r.n_days_exceed}/${r.n_days}</td></tr>`;
}

/** Each item's worst daily mean against the station's standard, with the unverified badge (DB11/1612-2019). */
async function showDischarge(ctx, station, mine) {
  const box = document.getElementById("discharge");
  const tx = DISCHARGE_TEXT[lang()] ?? DISCHARGE_TEXT.zh;
  const period = dischargePeriod(ctx, station);
  if (!box || !period) return;
  let body;
  try {
    body = await api(`api/discharge?period=${encodeURIComponent(period)}&station=${encodeURIComponent(station.code)}`);
  } catch (err) {
    if (mine === token && document.body.contains(box)) box.innerHTML = `<p class="muted">${esc(tx.empty)}</p>`;
    return;
  }
  if (mine !== token || !document.body.contains(box)) return;
  const rows = body.results;
  box.dataset.period = body.period;
  if (!rows.length) {
    box.innerHTML = `<h3>${esc(tx.title)} <span class="muted">${esc(body.period)}</span></h3><p class="muted">${esc(tx.empty)}</p>`;
    return;
  }
  const first = rows[0];
  const unverified = rows.some((r) => r.verified === false);
  box.innerHTML = `<h3>${esc(tx.title)} <span class="muted">${esc(body.period)}</span>
      ${unverified ? unverifiedBadge({ verified: false }) : ""}</h3>
    <p class="standard">${esc(first.standard_code || first.standard || "—")} ${esc(first.standard_class || "")}</p>
    <table class="attrs discharge"><thead><tr>${[tx.item, tx.value, tx.limit, tx.result, tx.days]
      .map((h) => `<th style="width:auto">${esc(h)}</th>`).join("")}</tr></thead>
      <tbody>${rows.map((r) => dischargeRow(r, tx)).join("")}</tbody></table>
    ${unverified ? `<p class="note unverified-note">${esc(tx.note)}</p>` : ""}`;
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

/** How a corrected value (a new revision by `liuyu qc correct`) is marked: a ring around the point. */
const CORRECTED_MARK = { symbol: "emptyCircle", color: "#7b3fa0", size: 13 };
const CORRECTED_LABEL = { zh: "已更正", en: "Corrected" };

/** ECharts series of the points of one QC status, marked as QC_MARKS says. */
function marks(name, data, status) {
  const m = status === "corrected" ? CORRECTED_MARK : QC_MARKS[status];
  return { name, type: "scatter", data, symbol: m.symbol, symbolSize: m.size, symbolRotate: m.rotate ?? 0,
    itemStyle: { color: m.color }, z: 4 };
}

/**
 * Chart options for raw points: the line of the usable values, and each QC status marked.
 * A rejected value far outside the usable ones (a hard-range failure, e.g. 99 mg/L of TP) would
 * flatten the chart: it is drawn at the edge of the usable range, its value in the tooltip.
 */
function rawOptions(points) {
  const at = (p) => Date.parse(p.time);
  const usable = points.filter((p) => p.status !== "rejected" && p.value !== null);
  const values = usable.map((p) => p.value);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const pad = (hi - lo || Math.abs(hi) || 1) * 0.15;
  const clamp = (v) => (values.length ? Math.min(Math.max(v, lo - pad), hi + pad) : v);
  const of = (status) => points.filter((p) => p.status === status && p.value !== null)
    .map((p) => [at(p), status === "rejected" ? clamp(p.value) : p.value, (p.flags ?? []).join(", "), p.value]);
  const line = withGaps(usable.map((p) => [at(p), p.value]));
  // corrected points: the current value ringed; the tooltip says what it replaced
  const fixed = points.filter((p) => p.corrected && p.value !== null).map((p) => [at(p),
    p.status === "rejected" ? clamp(p.value) : p.value, `${originalLabel()}: ${p.original_censor ?? ""}${p.original ?? "—"}`, p.value]);
  const extra = fixed.length ? [marks(correctedLabel(), fixed, "corrected")] : [];
  return [
    { name: t("chart.value"), type: "line", data: line, showSymbol: line.length < 150, symbolSize: 4,
      lineStyle: { width: 1.2, color: "#1f5a99" }, itemStyle: { color: "#1f5a99" }, connectNulls: false },
    marks(t("chart.suspect"), of("suspect"), "suspect"),
    marks(t("chart.rejected"), of("rejected"), "rejected"),
    marks(t("chart.censored"), of("censored"), "censored"),
    ...extra,
  ];
}

const correctedLabel = () => CORRECTED_LABEL[lang() === "en" ? "en" : "zh"];
const originalLabel = () => (lang() === "en" ? "original" : "原值");

/** Chart options for daily or monthly statistics: the mean, the min–max band, flagged periods marked. */
function aggOptions(points) {
  const at = (p) => Date.parse(p.time);
  const mean = points.map((p) => [at(p), p.mean]);
  return [
    { name: t("chart.mean"), type: "line", data: mean, showSymbol: mean.length < 80, symbolSize: 4,
      lineStyle: { width: 1.4, color: "#1f5a99" }, itemStyle: { color: "#1f5a99" } },
    { name: t("chart.range"), type: "line", data: points.map((p) => [at(p), p.min]), stack: "band",
      lineStyle: { opacity: 0 }, symbol: "none", tooltip: { show: false } },
    { name: t("chart.range"), type: "line", data: points.map((p) => [at(p), p.max - p.min]), stack: "band",
      lineStyle: { opacity: 0 }, symbol: "none", areaStyle: { color: "rgba(31,90,153,0.15)" }, tooltip: { show: false } },
    marks(t("chart.flagged"), points.filter((p) => p.flagged).map((p) => [at(p), p.mean]), "suspect"),
  ];
}

/** The axis tooltip: the time, then each series' value (a mark's own value and its QC flags). */
function tooltip(items, unit) {
  const when = new Date(items[0]?.axisValue ?? 0).toLocaleString(lang() === "en" ? "en-GB" : "zh-CN");
  const shown = items.filter((i) => Array.isArray(i.data) && i.data[1] !== null && i.seriesName !== t("chart.range"));
  const lines = shown.map((i) => {
    const [, shown, flags, own] = i.data;
    const value = own ?? shown;
    const text = typeof value === "number" ? `${Math.round(value * 1e4) / 1e4}${unit ? ` ${unit}` : ""}` : "—";
    return `${i.marker}${esc(i.seriesName)}: ${esc(text)}${flags ? ` <span style="color:#888">(${esc(flags)})</span>` : ""}`;
  });
  return [esc(when), ...lines].join("<br>");
}

async function drawSeries(station, s, mine) {
  const el = document.getElementById("station-chart");
  if (!el) return;
  disposeChart();
  el.innerHTML = `<p class="muted">${esc(t("chart.loading"))}</p>`;
  const q = new URLSearchParams({ property: s.property, agg });
  if (s.method) q.set("method", s.method);
  // a long sensor series in raw values: its last RAW_DAYS days (the aggregates show all of it)
  const recent = agg === "raw" && s.count > RAW_LIMIT && s.last;
  if (recent) q.set("start", new Date(Date.parse(s.last) - RAW_DAYS * 864e5).toISOString());
  let data;
  try {
    data = await api(`api/stations/${encodeURIComponent(station.code)}/series?${q}`);
  } catch (err) {
    if (mine === token) el.innerHTML = `<p class="error">${esc(err.message)}</p>`;
    return;
  }
  if (mine !== token || !document.body.contains(el)) return;
  const points = data.points;
  el.innerHTML = "";
  if (!points.length) {
    el.innerHTML = `<p class="muted">${esc(t("chart.empty"))}</p>`;
    return;
  }
  const series = data.agg === "raw" ? rawOptions(points) : aggOptions(points);
  const unit = data.unit && data.unit !== "1" ? prettyUnit(data.unit) : "";
  const legend = series.map((x) => x.name).filter((n, i, all) => all.indexOf(n) === i && n !== t("chart.range"));
  chart = echarts.init(el, null, { renderer: "canvas", locale: lang() === "en" ? "EN" : "ZH" });
  chart.setOption({
    animation: false,
    textStyle: { fontFamily: "inherit" },
    title: { text: `${nameOf(data)}${unit ? ` (${unit})` : ""}${recent ? ` · ${t("chart.recent")}` : ""}`, left: 4, top: 2,
      textStyle: { fontSize: 13, fontWeight: 600 } },
    legend: { top: 24, left: 4, itemWidth: 14, itemHeight: 9, textStyle: { fontSize: 11 }, data: legend },
    grid: { left: 46, right: 14, top: 52, bottom: 50 },
    tooltip: { trigger: "axis", formatter: (items) => tooltip(items, unit) },
    xAxis: { type: "time", axisLabel: { hideOverlap: true } },
    yAxis: { type: "value", scale: true },
    dataZoom: [{ type: "inside" }, { type: "slider", height: 16, bottom: 6 }],
    series,
  });
  for (const k of Object.keys(el.dataset)) if (/^n[A-Z]/.test(k)) delete el.dataset[k];
  el.dataset.property = s.property;
  el.dataset.agg = data.agg;
  el.dataset.points = String(points.length);
  for (const [k, v] of Object.entries(data.counts ?? {})) el.dataset[`n${k[0].toUpperCase()}${k.slice(1)}`] = String(v);
  if (data.agg === "raw") el.dataset.nCorrected = String(data.corrected ?? 0);
  el.dataset.legend = legend.join("|");
  el.dataset.lang = lang();
}

export function resizeChart() {
  if (chart) chart.resize();
}
