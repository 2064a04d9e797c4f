// The facilities tab of the ledger page: every rural sewage facility with its state (running, over
// limit, offline, no data), and the proposed changes to their records with approve / reject.

import { api, esc, ROOT, shortTime } from "./util.js";
import { nameOf, t } from "./i18n.js";
import { post } from "./ledger_strings.js";

const FIELDS = ["name", "village", "capacity_m3d", "process", "operator", "outfall", "receiving_water",
  "standard", "standard_class", "served_households", "served_population", "status", "commissioned"];
const state = { loaded: false, body: null, proposals: [], onStatus: () => {}, selected: null, filter: null };

export async function initFacilities(onStatus) {
  state.onStatus = onStatus;
  if (state.loaded) return;
  state.loaded = true;
  document.getElementById("facilities").addEventListener("click", (e) => {
    const tr = e.target.closest("tr[data-code]");
    if (tr) {
      state.selected = tr.dataset.code;
      renderProposals();
    }
  });
  document.getElementById("proposals").addEventListener("submit", onSubmit);
  document.getElementById("fac-summary").addEventListener("click", (e) => {
    const chip = e.target.closest("[data-state]");
    if (!chip) return;
    state.filter = state.filter === chip.dataset.state ? null : chip.dataset.state; // click again: all
    renderFacilities();
  });
  await reload();
}

async function reload() {
  try {
    const [body, props] = await Promise.all([api("api/facilities"), api("api/facilities/proposals")]);
    state.body = body;
    state.proposals = props.proposals;
    renderFacilities();
    document.body.dataset.facilities = String(body.number);
  } catch (err) {
    state.onStatus(`${t("ledger.error")}: ${err.message}`, true);
  }
}

export function renderFacilities() {
  if (!state.body) return;
  const states = Object.fromEntries(state.body.states.map((s) => [s.code, s]));
  document.getElementById("fac-summary").innerHTML = `<span class="chip">${esc(t("fac.period"))}<b>${esc(state.body.period ?? "—")}</b></span>`
    + state.body.states.map((s) => `<span class="chip${state.filter === s.code ? " on" : ""}" data-state="${esc(s.code)}"><span class="dot" style="background:${s.colour}"></span>${esc(nameOf(s))}
      <b>${state.body.counts[s.code] ?? 0}</b></span>`).join("");
  const cols = ["fac.code", "fac.name", "fac.village", "fac.capacity", "fac.process", "fac.standard", "fac.stations", "fac.state"];
  const table = document.getElementById("facilities");
  table.tHead.innerHTML = `<tr>${cols.map((c) => `<th>${esc(t(c))}</th>`).join("")}</tr>`;
  const shown = state.filter ? state.body.facilities.filter((f) => f.state === state.filter) : state.body.facilities;
  table.tBodies[0].innerHTML = shown.map((f) => {
    const s = states[f.state];
    return `<tr data-code="${esc(f.code)}" class="${f.code === state.selected ? "selected" : ""}"><td>${esc(f.code)}</td>
      <td>${esc(f.name ?? "")}</td><td>${esc(f.village ?? "")}</td><td>${esc(f.capacity_m3d ?? "")}</td>
      <td>${esc(f.process ?? "")}</td><td>${esc(`${f.standard ?? ""} ${f.standard_class ?? ""}`)}</td>
      <td>${esc(f.stations)}</td><td><span class="state" style="background:${s.colour}">${esc(nameOf(s))}</span>
      ${f.over ? `<span class="muted">${esc(f.over)}</span>` : ""}</td></tr>`;
  }).join("");
  renderProposals();
}

function proposalItem(p) {
  const changes = Object.entries(p.fields).map(([k, v]) => `${esc(k)}: ${esc(p.before?.[k] ?? "—")} → <b>${esc(v)}</b>`).join("<br>");
  const pending = p.state === "pending";
  return `<div class="proposal" data-id="${p.id}"><div>#${p.id} ${esc(p.facility_code)} · ${esc(t(`fac.state.${p.state}`))}
    ${p.version ? `· v${p.version}` : ""}</div><div>${changes}</div>
    <div class="muted">${esc(p.reason ?? "")} · ${esc(p.proposed_by)} ${esc(shortTime(p.proposed_at))}</div>
    ${pending ? `<form class="actions decide" data-id="${p.id}"><input name="note" placeholder="${esc(t("ledger.note"))}">
      <button name="do" value="approve">${esc(t("fac.approve"))}</button><button name="do" value="reject">${esc(t("fac.reject"))}</button></form>` : ""}</div>`;
}

function renderProposals() {
  const box = document.getElementById("proposals");
  const list = state.selected ? state.proposals.filter((p) => p.facility_code === state.selected) : state.proposals;
  const form = state.selected ? `<h3>${esc(t("fac.propose"))} · ${esc(state.selected)}</h3>
    <form class="propose"><label>${esc(t("fac.field"))} <select name="field">${FIELDS.map((f) => `<option>${f}</option>`).join("")}</select></label>
      <label>${esc(t("fac.value"))} <input name="value" required></label>
      <label>${esc(t("fac.reason"))} <input name="reason"></label><button>${esc(t("fac.propose"))}</button></form>` : "";
  box.innerHTML = `${form}<h3>${esc(t("fac.proposals"))}</h3>${list.length ? list.map(proposalItem).join("") : `<p class="muted">${esc(t("fac.none"))}</p>`}`;
}

async function onSubmit(e) {
  e.preventDefault();
  const form = e.target;
  try {
    let message = "";
    if (form.classList.contains("propose")) {
      const body = { fields: { [form.field.value]: form.value.value }, reason: form.reason.value || null };
      const p = await post(ROOT, `api/facilities/${encodeURIComponent(state.selected)}/proposals`, body);
      message = `${t("fac.proposals")} #${p.id}`;
    } else if (form.classList.contains("decide")) {
      const action = e.submitter?.value ?? "approve";
      const p = await post(ROOT, `api/facilities/proposals/${form.dataset.id}/${action}`, { note: form.note.value || null });
      message = action === "approve" ? `${t("fac.approved")} v${p.version ?? "—"}` : t("fac.rejected");
    }
    await reload();
    state.onStatus(message);
  } catch (err) {
    state.onStatus(`${t("ledger.error")}: ${err.message}`, true);
  }
}
