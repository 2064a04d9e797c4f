// The ledger page: problems with filters, the selected one with its history, photos and next moves;
// a tab with the rural sewage facilities (facilities.js). Data: /api/ledger/*, /api/facilities/*.

import { api, esc, ROOT, shortTime } from "./util.js";
import { lang, nameOf, setLang, t, translatePage } from "./i18n.js";
import { post, STATE_COLOURS } from "./ledger_strings.js";
import { initFacilities, renderFacilities } from "./facilities.js";

const ctx = { codes: null, basin: null, jurisdictions: [], problems: [], selected: null, detail: null };

function status(message, isError = false) {
  const el = document.getElementById("status-msg");
  el.textContent = message;
  el.classList.toggle("error", isError);
}

const byCode = (list) => Object.fromEntries(list.map((x) => [x.code, x]));
const stateName = (code) => nameOf(byCode(ctx.codes.states)[code]) || code;
const categoryName = (code) => nameOf(byCode(ctx.codes.categories)[code]) || code;
const sourceName = (code) => nameOf(byCode(ctx.codes.sources)[code]) || code;
const jurName = (code) => (code ? nameOf(ctx.jurisdictions.find((j) => j.code === code)) || code : "—");

function stateBadge(code) {
  return `<span class="state" style="background:${STATE_COLOURS[code] ?? "#607d8b"}">${esc(stateName(code))}</span>`;
}

function options(list, current, naming) {
  return `<option value="">${esc(t("ledger.all"))}</option>` + list.map((x) => `<option value="${esc(x.code)}"
    ${x.code === current ? "selected" : ""}>${esc(naming(x))}</option>`).join("");
}

function renderFilters() {
  const form = document.getElementById("filters");
  const cur = Object.fromEntries(new FormData(form));
  form.state.innerHTML = options(ctx.codes.states, cur.state, nameOf);
  form.category.innerHTML = options(ctx.codes.categories, cur.category, nameOf);
  form.jurisdiction.innerHTML = options(ctx.jurisdictions, cur.jurisdiction, nameOf);
  const nf = document.getElementById("new-form");
  nf.source.innerHTML = ctx.codes.sources.map((s) => `<option value="${esc(s.code)}">${esc(nameOf(s))}</option>`).join("");
  nf.category.innerHTML = ctx.codes.categories.map((s) => `<option value="${esc(s.code)}">${esc(nameOf(s))}</option>`).join("");
}

function query() {
  const form = document.getElementById("filters");
  const params = new URLSearchParams();
  for (const key of ["state", "category", "jurisdiction"]) if (form[key].value) params.set(key, form[key].value);
  document.getElementById("export").href = `${ROOT}api/ledger/export.xlsx?${params}`;
  if (form.overdue.checked) params.set("overdue", "true");
  return params.toString();
}

async function loadProblems() {
  try {
    const body = await api(`api/ledger/problems?${query()}`);
    ctx.problems = body.problems;
    renderProblems();
    document.body.dataset.problems = String(body.number);
  } catch (err) {
    status(`${t("ledger.error")}: ${err.message}`, true);
  }
}

function renderCounts() {
  const counts = {};
  for (const p of ctx.problems) counts[p.state] = (counts[p.state] ?? 0) + 1;
  const late = ctx.problems.filter((p) => p.overdue).length;
  document.getElementById("counts").innerHTML = `<span class="chip">${esc(t("ledger.total"))}<b>${ctx.problems.length}</b></span>`
    + ctx.codes.states.filter((s) => counts[s.code]).map((s) => `<span class="chip"><span class="dot"
      style="background:${STATE_COLOURS[s.code]}"></span>${esc(nameOf(s))}<b>${counts[s.code]}</b></span>`).join("")
    + (late ? `<span class="chip late">${esc(t("ledger.overdue"))}<b>${late}</b></span>` : "");
}

function renderProblems() {
  renderCounts();
  const cols = ["ledger.col.code", "ledger.col.found", "ledger.category", "ledger.col.title", "ledger.jurisdiction",
    "ledger.col.unit", "ledger.col.deadline", "ledger.state"];
  const table = document.getElementById("problems");
  table.tHead.innerHTML = `<tr>${cols.map((c) => `<th>${esc(t(c))}</th>`).join("")}</tr>`;
  table.tBodies[0].innerHTML = ctx.problems.length ? ctx.problems.map((p) => `<tr data-code="${esc(p.code)}"
      class="${p.code === ctx.selected ? "selected" : ""}">
    <td>${esc(p.code)}</td><td>${esc(p.found_at.slice(0, 10))}</td><td>${esc(categoryName(p.category))}</td>
    <td>${esc(p.title)}</td><td>${esc(jurName(p.jurisdiction))}</td><td>${esc(p.responsible_unit ?? "")}</td>
    <td class="${p.overdue ? "late" : ""}">${esc(p.deadline ?? "")}${p.overdue ? ` ${esc(t("ledger.overdue"))}` : ""}</td>
    <td>${stateBadge(p.state)}</td></tr>`).join("")
    : `<tr><td colspan="${cols.length}" class="muted">${esc(t("ledger.none"))}</td></tr>`;
}

async function showProblem(code) {
  ctx.selected = code;
  for (const tr of document.querySelectorAll("#problems tbody tr")) tr.classList.toggle("selected", tr.dataset.code === code);
  try {
    ctx.detail = await api(`api/ledger/problems/${encodeURIComponent(code)}`);
  } catch (err) {
    status(`${t("ledger.error")}: ${err.message}`, true);
    return;
  }
  renderDetail();
  if (location.hash !== `#${code}`) history.replaceState(null, "", `#${code}`);
}

function renderDetail() {
  const p = ctx.detail;
  const box = document.getElementById("detail");
  box.hidden = false;
  const row = (key, value) => `<dt>${esc(t(key))}</dt><dd>${value}</dd>`;
  const where = p.geometry?.type === "Point" ? `${p.geometry.coordinates[0].toFixed(5)}°E ${p.geometry.coordinates[1].toFixed(5)}°N` : p.geometry?.type ?? "";
  const moves = p.next.map((m) => `<button type="button" class="move" data-to="${esc(m.to)}">${esc(nameOf(m))} → ${esc(stateName(m.to))}</button>`).join("");
  box.innerHTML = `<h3>${esc(p.code)} ${stateBadge(p.state)}</h3><p>${esc(p.title)}</p>
    <dl>${row("ledger.source", esc(sourceName(p.source)))}${row("ledger.category", esc(categoryName(p.category)))}
      ${row("ledger.jurisdiction", esc(jurName(p.jurisdiction)))}${row("ledger.col.location", esc(p.location ?? where))}
      ${row("ledger.col.unit", esc(p.responsible_unit ?? "—"))}${row("ledger.col.found", esc(shortTime(p.found_at)))}
      ${row("ledger.col.deadline", `<span class="${p.overdue ? "late" : ""}">${esc(p.deadline ?? "—")}</span>`)}
      ${row("ledger.col.fix", esc(p.fix_note ?? "—"))}${row("ledger.col.closed", esc(shortTime(p.closed_at)))}
      ${p.description ? row("ledger.description", esc(p.description)) : ""}</dl>
    <form class="moves" id="move-form">${moves}<input name="note" placeholder="${esc(t("ledger.note"))}">
      ${p.next.some((m) => m.to === "assigned") ? `<input name="unit" placeholder="${esc(t("ledger.col.unit"))}"
        value="${esc(p.responsible_unit ?? "")}"><input name="deadline" type="date" title="${esc(t("ledger.col.deadline"))}">` : ""}</form>
    <h4>${esc(t("ledger.photos"))}</h4>
    <div class="photos">${p.photos.map((ph) => `<a href="${ROOT}api/ledger/problems/${encodeURIComponent(p.code)}/photos/${ph.id}"
      target="_blank"><img alt="${esc(ph.original_name ?? "")}" src="${ROOT}api/ledger/problems/${encodeURIComponent(p.code)}/photos/${ph.id}"></a>`).join("")}</div>
    <label>${esc(t("ledger.upload"))} <input type="file" id="photo-input" accept="image/jpeg,image/png,image/webp"></label>
    <h4>${esc(t("ledger.history"))}</h4>
    <ul class="history">${p.history.map((h) => `<li>${h.from_state ? `${esc(stateName(h.from_state))} → ` : ""}${stateBadge(h.to_state)}
      <div class="meta">${esc(shortTime(h.at))} · ${esc(h.user)} (${esc(h.role ?? "")}@${esc(h.jurisdiction ?? "")})</div>
      ${h.note ? `<div>${esc(h.note)}</div>` : ""}</li>`).join("")}</ul>`;
}

async function move(to, form) {
  const code = ctx.detail.code;
  const body = { to, note: form.note.value || null };
  if (to === "assigned" && form.unit?.value) body.responsible_unit = form.unit.value;
  if (to === "assigned" && form.deadline?.value) body.deadline = form.deadline.value;
  try {
    await post(ROOT, `api/ledger/problems/${encodeURIComponent(code)}/transitions`, body);
    status(`${t("ledger.moved")}: ${code} → ${stateName(to)}`);
    await loadProblems();
    await showProblem(code);
  } catch (err) {
    status(`${t("ledger.error")}: ${err.message}`, true);
  }
}

async function upload(file) {
  const code = ctx.detail.code;
  const form = new FormData();
  form.append("file", file);
  try {
    await post(ROOT, `api/ledger/problems/${encodeURIComponent(code)}/photos`, form);
    status(t("ledger.uploaded"));
    await showProblem(code);
  } catch (err) {
    status(`${t("ledger.error")}: ${err.message}`, true);
  }
}

async function createProblem(form) {
  const data = Object.fromEntries(new FormData(form));
  const body = { ...data, longitude: Number(data.longitude), latitude: Number(data.latitude) };
  for (const key of ["deadline", "responsible_unit", "description"]) if (!body[key]) delete body[key];
  try {
    const p = await post(ROOT, "api/ledger/problems", body);
    status(`${t("ledger.created")}: ${p.code}`);
    await loadProblems();
    await showProblem(p.code);
  } catch (err) {
    status(`${t("ledger.error")}: ${err.message}`, true);
  }
}

function showTab(name) {
  for (const b of document.querySelectorAll("#tabs .tab")) b.classList.toggle("on", b.dataset.tab === name);
  document.getElementById("problems-tab").hidden = name !== "problems";
  document.getElementById("facilities-tab").hidden = name !== "facilities";
  if (name === "facilities") initFacilities(status);
}

function applyLanguage() {
  translatePage();
  document.getElementById("btn-lang").textContent = t("lang.other");
  document.title = `${t("ledger.title")} · Liuyu`;
  document.getElementById("basin-name").textContent = nameOf(ctx.basin);
  if (!ctx.codes) return;
  renderFilters();
  renderProblems();
  if (ctx.detail) renderDetail();
  renderFacilities();
}

function wire() {
  document.getElementById("btn-lang").addEventListener("click", () => {
    setLang(lang() === "zh" ? "en" : "zh");
    applyLanguage();
  });
  document.getElementById("filters").addEventListener("change", loadProblems);
  document.getElementById("problems").addEventListener("click", (e) => {
    const tr = e.target.closest("tr[data-code]");
    if (tr) showProblem(tr.dataset.code);
  });
  document.getElementById("detail").addEventListener("click", (e) => {
    const b = e.target.closest("button.move");
    if (b) move(b.dataset.to, document.getElementById("move-form"));
  });
  document.getElementById("detail").addEventListener("change", (e) => {
    if (e.target.id === "photo-input" && e.target.files[0]) upload(e.target.files[0]);
  });
  document.getElementById("tabs").addEventListener("click", (e) => {
    if (e.target.dataset.tab) showTab(e.target.dataset.tab);
  });
  const dialog = document.getElementById("new-problem");
  document.getElementById("btn-new").addEventListener("click", () => dialog.showModal());
  dialog.addEventListener("close", () => {
    if (dialog.returnValue === "ok") createProblem(document.getElementById("new-form"));
  });
}

async function start() {
  setLang(lang());
  wire();
  try {
    const [codes, catalog, config] = await Promise.all([api("api/ledger/codes"), api("api/catalog"), api("api/config")]);
    ctx.codes = codes;
    ctx.jurisdictions = catalog.jurisdictions ?? [];
    ctx.basin = config.basin;
  } catch (err) {
    status(`${t("ledger.error")}: ${err.message}`, true);
    return;
  }
  applyLanguage();
  await loadProblems();
  const hash = decodeURIComponent(location.hash.slice(1));
  if (hash === "facilities") showTab("facilities");
  else if (hash) await showProblem(hash);
  document.body.dataset.ready = "ledger";
}

start();
