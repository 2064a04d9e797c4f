// The search box: name or code -> a list of hits -> zoom to the one chosen.

import { api, esc } from "./util.js";
import { nameOf, t } from "./i18n.js";

let hits = [];
let active = -1;
let timer = null;

function render(ctx) {
  const ul = document.getElementById("search-results");
  if (!hits.length) {
    ul.innerHTML = `<li class="none">${esc(t("search.none"))}</li>`;
  } else {
    ul.innerHTML = hits.map((h, i) => `<li role="option" data-index="${i}" data-category="${esc(h.category)}"
      data-id="${esc(h.id)}" class="${i === active ? "active" : ""}">
      <span class="hname">${esc(h.name ?? h.code ?? h.id)}</span>
      <span class="hcode">${esc(h.code && h.code !== h.name ? h.code : "")}</span>
      <span class="hcat">${esc(nameOf(ctx.categories[h.category]))}</span></li>`).join("");
  }
  ul.hidden = false;
}

async function run(ctx, q) {
  if (!q.trim()) {
    hide();
    return;
  }
  try {
    const res = await api(`api/search?${new URLSearchParams({ q, limit: "20" })}`);
    if (document.getElementById("search-input").value !== q) return;
    hits = res.hits;
    active = hits.length ? 0 : -1;
    render(ctx);
  } catch {
    hits = [];
    render(ctx);
  }
}

function hide() {
  document.getElementById("search-results").hidden = true;
}

/** Wire the search box; `onPick(hit)` zooms to a hit and selects it. */
export function initSearch(ctx, onPick) {
  const input = document.getElementById("search-input");
  const ul = document.getElementById("search-results");
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => run(ctx, input.value), 180);
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      if (!hits.length) return;
      active = (active + (e.key === "ArrowDown" ? 1 : hits.length - 1)) % hits.length;
      render(ctx);
      e.preventDefault();
    } else if (e.key === "Enter") {
      clearTimeout(timer);
      if (hits[active]) {
        hide();
        onPick(hits[active]);
      } else {
        run(ctx, input.value);
      }
    } else if (e.key === "Escape") {
      hide();
    }
  });
  ul.addEventListener("mousedown", (e) => {
    const li = e.target.closest("li[data-index]");
    if (!li) return;
    e.preventDefault();
    hide();
    onPick(hits[Number(li.dataset.index)]);
  });
  input.addEventListener("blur", () => setTimeout(hide, 150));
  input.addEventListener("focus", () => {
    if (hits.length && input.value.trim()) render(ctx);
  });
}

/** Re-render the open result list after a language change. */
export function retranslateSearch(ctx) {
  if (!document.getElementById("search-results").hidden) render(ctx);
}
