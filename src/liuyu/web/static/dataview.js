// The data view: which categories each jurisdiction has delivered (present / partial / missing).

import { esc, shortTime } from "./util.js";
import { nameOf, t } from "./i18n.js";

function cell(c, stale) {
  const bits = [`<span class="chip ${c.status}">${esc(t(`data.${c.status}`))}</span>`];
  bits.push(`<span class="n">${c.features}</span>`);
  if (c.coverage !== null && c.coverage !== undefined) {
    bits.push(`<span class="cov">${esc(t("data.coverage"))} ${(c.coverage * 100).toFixed(c.coverage > 0.995 ? 0 : 1)}%</span>`);
  }
  if (c.without_data) bits.push(`<span class="cov">${c.without_data} ${esc(t("data.nodata"))}</span>`);
  if (stale) bits.push(`<span class="chip stale">${esc(t("data.stale"))}</span>`);
  return `<td class="cell ${c.status}" data-status="${c.status}" title="${esc(shortTime(c.updated))}">${bits.join(" ")}</td>`;
}

/** The table category x jurisdiction, grouped like the layer tree. */
export function renderDataView(ctx, groups) {
  const jurs = ctx.jurisdictions;
  const head = `<tr><th>${esc(t("data.category"))}</th><th>${esc(t("data.version"))}</th>
    <th>${esc(t("data.features"))}</th><th>${esc(t("data.updated"))}</th><th>${esc(t("data.report"))}</th>
    ${jurs.map((j) => `<th>${esc(nameOf(j))}</th>`).join("")}</tr>`;
  const body = groups.map((g) => {
    const cats = ctx.catalog.filter((c) => c.group === g);
    if (!cats.length) return "";
    const rows = cats.map((c) => `<tr data-code="${esc(c.code)}">
      <td>${esc(nameOf(c))} <code>${esc(c.code)}</code></td>
      <td class="num">${c.version ?? "—"}</td><td class="num">${c.features}</td>
      <td>${esc(shortTime(c.updated))}</td>
      <td>${c.report ? `<a class="report" href="${esc(c.report)}" target="_blank">${esc(t("data.open"))}</a>` : "—"}</td>
      ${jurs.map((j) => cell(c.jurisdictions[j.code], (c.stale || []).includes(j.code))).join("")}</tr>`).join("");
    return `<tr class="grouprow"><th colspan="${5 + jurs.length}">${esc(t(`group.${g}`))}</th></tr>${rows}`;
  }).join("");
  document.getElementById("dataview-body").innerHTML = `
    <h2>${esc(t("data.title"))}</h2>
    <table class="datatable"><thead>${head}</thead><tbody>${body}</tbody></table>
    <p class="muted note">${esc(t("data.note"))}</p>`;
}

export function openDataView(ctx, groups) {
  renderDataView(ctx, groups);
  document.getElementById("dataview").hidden = false;
}

export function closeDataView() {
  document.getElementById("dataview").hidden = true;
}
