// The management page: ecological compensation statements, rain and level warnings, gate ratings and
// flows, one tab each. Data: /api/compensation, /api/warnings, /api/gates, /api/gates/flow.

import { api, esc, ROOT, shortTime } from "./util.js";
import { lang, setLang, STRINGS, t, translatePage } from "./i18n.js";

Object.assign(STRINGS.zh, {
  "manage.title": "补偿·预警·闸门", "manage.tab.compensation": "生态补偿", "manage.tab.warnings": "预警",
  "manage.tab.gates": "闸门流量", "manage.map": "一张图", "manage.year": "年度", "manage.month": "月份",
  "manage.whole_year": "全年", "manage.compute": "核算", "manage.totals": "各县汇总",
  "manage.lines": "明细（含数据来源）", "manage.state": "状态", "manage.state.open": "未处理",
  "manage.state.all": "全部", "manage.check": "立即检查", "manage.ratings": "闸门率定", "manage.gate": "闸门",
  "manage.loading": "加载中…", "manage.sources": "来源", "manage.none": "无",
  "manage.rules": "暴雨预警（中国气象局标准，依实测雨量）", "manage.levels": "水位", "manage.checked": "检查完成",
  "manage.example": "示例协议",
});
// column headings: a column missing here shows its field name
Object.assign(STRINGS.zh, { "manage.col.county": "县", "manage.col.name": "名称", "manage.col.quantity": "水量", "manage.col.quality": "水质", "manage.col.control": "污染防治", "manage.col.tn_reward": "总氮奖励", "manage.col.total": "合计", "manage.col.component": "组成", "manage.col.item": "指标", "manage.col.measured": "实测", "manage.col.reference": "基准/目标", "manage.col.score": "得分", "manage.col.weight": "权重", "manage.col.amount": "金额（元）", "manage.col.basis": "依据", "manage.col.id": "编号", "manage.col.kind": "类型", "manage.col.severity": "级别", "manage.col.state": "状态", "manage.col.subject": "对象", "manage.col.period": "时段", "manage.col.message": "内容", "manage.col.last_seen": "最近出现", "manage.col.time": "时间", "manage.col.gate": "闸门", "manage.col.opening_cm": "开度 (cm)", "manage.col.head_m": "水头 (m)", "manage.col.model": "公式", "manage.col.flow_m3s": "流量 (m³/s)", "manage.col.extrapolated": "外延", "manage.col.n": "点数", "manage.col.mu": "μ", "manage.col.rmse": "RMSE", "manage.col.mre": "平均相对误差", "manage.col.r2": "R²", "manage.col.loo_rmse": "留一 RMSE" });
Object.assign(STRINGS.en, { "manage.col.county": "County", "manage.col.name": "Name", "manage.col.quantity": "Quantity", "manage.col.quality": "Quality", "manage.col.control": "Pollution control", "manage.col.tn_reward": "TN reward", "manage.col.total": "Total", "manage.col.component": "Component", "manage.col.item": "Item", "manage.col.measured": "Measured", "manage.col.reference": "Reference", "manage.col.score": "Score", "manage.col.weight": "Weight", "manage.col.amount": "Amount (yuan)", "manage.col.basis": "Basis", "manage.col.id": "ID", "manage.col.kind": "Kind", "manage.col.severity": "Severity", "manage.col.state": "State", "manage.col.subject": "Subject", "manage.col.period": "Period", "manage.col.message": "Message", "manage.col.last_seen": "Last seen", "manage.col.time": "Time", "manage.col.gate": "Gate", "manage.col.opening_cm": "Opening (cm)", "manage.col.head_m": "Head (m)", "manage.col.model": "Form", "manage.col.flow_m3s": "Flow (m³/s)", "manage.col.extrapolated": "Extrapolated", "manage.col.n": "n", "manage.col.mu": "μ", "manage.col.rmse": "RMSE", "manage.col.mre": "Mean relative error", "manage.col.r2": "R²", "manage.col.loo_rmse": "Leave-one-out RMSE" });
Object.assign(STRINGS.en, {
  "manage.title": "Compensation · warnings · gates", "manage.tab.compensation": "Compensation",
  "manage.tab.warnings": "Warnings", "manage.tab.gates": "Gate flows", "manage.map": "Map", "manage.year": "Year",
  "manage.month": "Month", "manage.whole_year": "Whole year", "manage.compute": "Compute",
  "manage.totals": "Totals per county", "manage.lines": "Lines (with their sources)", "manage.state": "State",
  "manage.state.open": "Open", "manage.state.all": "All", "manage.check": "Check now", "manage.ratings": "Gate ratings",
  "manage.gate": "Gate", "manage.loading": "Loading…", "manage.sources": "Sources", "manage.none": "none",
  "manage.rules": "Rainstorm signals (CMA criteria, on observed rain)", "manage.levels": "Levels",
  "manage.checked": "Checked", "manage.example": "Example agreement",
});

const COMPONENTS = ["quantity", "quality", "control", "tn_reward", "total"];
const money = (v) => (v == null ? "—" : Number(v).toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 }));
const num = (v, d = 4) => (v == null ? "—" : Number(v).toPrecision(d));

/** Units as an agency writes them: "1e8 m3" is 亿m³ (10⁸ m³). */
function unitText(unit) {
  if (!unit) return "";
  if (unit === "1e8 m3") return lang() === "en" ? "×10⁸ m³" : "亿m³";
  return unit.replace("m3", "m³");
}

function status(message, isError = false) {
  const el = document.getElementById("status-msg");
  el.textContent = message;
  el.classList.toggle("error", isError);
}

function heading(field) {
  const key = `manage.col.${field}`;
  const text = t(key);
  return text === key ? field : text;
}

function fill(id, head, rows) {
  const table = document.getElementById(id);
  table.tHead.innerHTML = `<tr>${head.map((h) => `<th>${esc(heading(h))}</th>`).join("")}</tr>`;
  table.tBodies[0].innerHTML = rows.join("");
}

async function compensation() {
  const form = document.getElementById("comp-form");
  const year = form.year.value;
  const month = form.month.value;
  status(t("manage.loading"));
  const data = await api(`api/compensation?year=${year}${month ? `&month=${year}-${month}` : ""}`);
  const notice = document.getElementById("comp-notice");
  notice.hidden = !data.example;
  notice.textContent = `${t("manage.example")}: ${lang() === "en" ? data.notice_en : data.notice_zh}`;
  fill("comp-totals", ["county", "name", ...COMPONENTS], data.totals.map((r) =>
    `<tr><td>${esc(r.county)}</td><td>${esc(r.county_name)}</td>${COMPONENTS.map((c) =>
      `<td class="num">${money(r[c])}</td>`).join("")}</tr>`));
  fill("comp-lines", ["county", "component", "item", "measured", "reference", "score", "weight", "amount", "basis"],
    data.lines.map((r) => `<tr><td>${esc(r.county_name)}</td><td>${esc(heading(r.component))}</td><td>${esc(r.item)}</td>
      <td class="num">${esc(r.measured ?? "—")} ${esc(unitText(r.unit))}</td><td class="num">${esc(r.reference ?? "—")}</td>
      <td class="num">${num(r.score)}</td><td class="num">${num(r.weight, 3)}</td><td class="num">${money(r.amount_yuan)}</td>
      <td>${esc(lang() === "en" ? r.basis_en : r.basis_zh)}<details><summary>${esc(t("manage.sources"))}</summary>
      <pre>${esc(JSON.stringify(r.sources, null, 1))}</pre></details></td></tr>`));
  status(`${data.agreement} — ${data.period}`);
}

async function warnings() {
  const state = document.getElementById("warn-form").state.value;
  status(t("manage.loading"));
  const data = await api(`api/warnings${state ? `?state=${state}` : ""}`);
  const levels = data.rain_levels.map((l) => `${lang() === "en" ? l.name_en : l.name_zh}: ≥ ${l.threshold_mm} mm / ${l.window_h} h`);
  const stations = data.level_stations.map((s) => `${s.station}: ${s.flood_limit_m ?? "—"} m / ${s.normal_pool_m ?? "—"} m`);
  document.getElementById("warn-rules").textContent =
    `${t("manage.rules")}: ${levels.join("; ")}. ${t("manage.levels")}: ${stations.join("; ") || t("manage.none")}`;
  fill("warnings", ["id", "kind", "severity", "state", "subject", "period", "message", "last_seen"], data.warnings.map((w) =>
    `<tr><td>${w.id}</td><td>${esc(t(`alerts.kind.${w.kind}`))}</td><td class="sev-${esc(w.severity)}">${esc(w.severity)}</td>
     <td>${esc(w.state)}</td><td>${esc(w.subject_name ?? w.subject)}</td><td>${esc(w.period)}</td>
     <td>${esc(lang() === "en" ? w.message_en : w.message_zh)}</td><td>${esc(shortTime(w.last_seen))}</td></tr>`));
  status(`${data.number}`);
}

async function checkNow() {
  const res = await fetch(ROOT + "api/warnings/check", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
  const body = await res.json();
  status(res.ok ? `${t("manage.checked")}: +${body.new.length}` : body.description, !res.ok);
  if (res.ok) await warnings();
}

function chart(flows) {
  const svg = document.getElementById("flow-chart");
  const w = 760, h = 220, pad = 36;
  const times = flows.map((f) => Date.parse(f.time));
  const q = flows.map((f) => f.flow_m3s ?? 0);
  if (!flows.length) { svg.innerHTML = ""; return; }
  const [t0, t1] = [Math.min(...times), Math.max(...times)];
  const qmax = Math.max(...q, 1e-9);
  const x = (v) => pad + ((v - t0) / Math.max(t1 - t0, 1)) * (w - 2 * pad);
  const y = (v) => h - pad + 10 - (v / qmax) * (h - 2 * pad);
  const path = times.map((tm, i) => `${i ? "L" : "M"}${x(tm).toFixed(1)},${y(q[i]).toFixed(1)}`).join("");
  svg.innerHTML = `<path d="${path}" fill="none" stroke="#1565c0" stroke-width="1.5"/>
    <text x="4" y="14" font-size="11">${qmax.toFixed(2)} m³/s</text>
    <text x="${pad}" y="${h - 4}" font-size="11">${esc(flows[0].time)}</text>
    <text x="${w - pad}" y="${h - 4}" font-size="11" text-anchor="end">${esc(flows[flows.length - 1].time)}</text>`;
}

async function gateFlows() {
  const gate = document.getElementById("gate-form").gate.value;
  const data = await api(`api/gates/flow?gate=${encodeURIComponent(gate)}`);
  chart(data.flows);
  fill("flows", ["time", "gate", "opening_cm", "head_m", "model", "flow_m3s", "extrapolated"], data.flows.slice(0, 200).map((f) =>
    `<tr><td>${esc(f.time)}</td><td>${esc(f.gate)}</td><td class="num">${f.opening_cm}</td><td class="num">${num(f.head_m)}</td>
     <td>${esc(f.model)}</td><td class="num">${num(f.flow_m3s)}</td><td>${f.extrapolated ? "⚠" : ""}</td></tr>`));
}

async function gates() {
  status(t("manage.loading"));
  const data = await api("api/gates");
  const cols = ["gate", "model", "mu", "a", "b", "c", "n", "rmse", "mre", "r2", "loo_rmse"];
  fill("ratings", cols, data.ratings.map((r) => `<tr>${cols.map((c) =>
    `<td class="num">${typeof r[c] === "number" && c !== "n" ? (c === "mre" ? `${(100 * r[c]).toFixed(1)} %` : num(r[c])) : esc(r[c] ?? "—")}</td>`).join("")}</tr>`));
  const select = document.getElementById("gate-form").gate;
  select.innerHTML = data.ratings.map((r) => `<option>${esc(r.gate)}</option>`).join("");
  await gateFlows();
  status(`${data.ratings.length}`);
}

const LOADERS = { compensation, warnings, gates };

function show(tab) {
  for (const b of document.querySelectorAll("#tabs .tab")) b.classList.toggle("on", b.dataset.tab === tab);
  for (const name of Object.keys(LOADERS)) document.getElementById(`${name}-tab`).hidden = name !== tab;
  LOADERS[tab]().catch((e) => status(e.message, true));
}

function labels() {
  translatePage();
  document.getElementById("btn-lang").textContent = lang() === "zh" ? "EN" : "中文";
  const month = document.getElementById("comp-form").month;
  const keep = month.value;
  month.innerHTML = `<option value="">${esc(t("manage.whole_year"))}</option>` +
    Array.from({ length: 12 }, (_, i) => `<option value="${String(i + 1).padStart(2, "0")}">${i + 1}</option>`).join("");
  month.value = keep;
}

const current = () => document.querySelector("#tabs .tab.on")?.dataset.tab ?? "compensation";
const report = (promise) => promise.catch((e) => status(e.message, true));

function init() {
  labels();
  document.getElementById("comp-form").addEventListener("submit", (e) => {
    e.preventDefault();
    report(compensation());
  });
  document.getElementById("warn-form").state.addEventListener("change", () => report(warnings()));
  document.getElementById("btn-check").addEventListener("click", () => report(checkNow()));
  document.getElementById("gate-form").gate.addEventListener("change", () => report(gateFlows()));
  for (const b of document.querySelectorAll("#tabs .tab")) b.addEventListener("click", () => show(b.dataset.tab));
  document.getElementById("btn-lang").addEventListener("click", () => {
    setLang(lang() === "zh" ? "en" : "zh");
    labels();
    show(current());
  });
  show(current());
}

init();
