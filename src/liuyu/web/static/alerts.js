// Open alerts on the map: a ring at each alerted station, and a list (top-bar button) where an
// editor acknowledges an alert with a note. Data: GET /api/alerts?state=open, POST /api/alerts/{id}/ack.

import { api, esc, ROOT, shortTime } from "./util.js";
import { lang, t } from "./i18n.js";
import { unverifiedBadge } from "./panels.js";

const SOURCE = "alerts";
const SEVERITY_COLOURS = { critical: "#c62828", warning: "#ef6c00" };
const state = { map: null, alerts: [], open: false, onPick: null };

function injectStyle() {
  if (document.getElementById("alerts-style")) return;
  const style = document.createElement("style");
  style.id = "alerts-style";
  style.textContent = `
    #btn-alerts.has-alerts { background: #c62828; color: #fff; border-color: #c62828; }
    #alerts-box { position: fixed; top: 52px; right: 12px; z-index: 20; width: 380px; max-height: 70vh;
      overflow: auto; background: #fff; border: 1px solid #ccc; border-radius: 6px; padding: 8px 10px;
      box-shadow: 0 4px 16px rgba(0,0,0,.2); font-size: 13px; }
    #alerts-box h3 { margin: 2px 0 8px; font-size: 14px; }
    #alerts-box li { list-style: none; border-top: 1px solid #eee; padding: 6px 0; }
    #alerts-box ul { padding: 0; margin: 0; }
    #alerts-box .sev { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 4px; }
    #alerts-box .meta { color: #666; font-size: 12px; }
    #alerts-box .ack { display: flex; gap: 4px; margin-top: 4px; }
    #alerts-box .ack input { flex: 1; min-width: 0; }
    #alerts-box .msg { cursor: pointer; }`;
  document.head.append(style);
}

function featureCollection(alerts) {
  return {
    type: "FeatureCollection",
    features: alerts.filter((a) => a.longitude != null && a.latitude != null).map((a) => ({
      type: "Feature",
      geometry: { type: "Point", coordinates: [a.longitude, a.latitude] },
      properties: { id: a.id, kind: a.kind, severity: a.severity, subject: a.subject },
    })),
  };
}

function addLayer(map) {
  map.addSource(SOURCE, { type: "geojson", data: featureCollection([]) });
  map.addLayer({
    id: "alerts-ring",
    type: "circle",
    source: SOURCE,
    paint: {
      "circle-radius": 9,
      "circle-color": "rgba(0,0,0,0)",
      "circle-stroke-width": 2.5,
      "circle-stroke-color": ["match", ["get", "severity"], "critical", SEVERITY_COLOURS.critical, SEVERITY_COLOURS.warning],
    },
  });
}

function message(a) {
  return lang() === "en" ? a.message_en : a.message_zh;
}

function item(a) {
  const colour = SEVERITY_COLOURS[a.severity] ?? SEVERITY_COLOURS.warning;
  const unverified = a.verified === false ? ` ${unverifiedBadge(a)}` : "";
  return `<li data-id="${a.id}">
    <div class="msg" data-id="${a.id}"><span class="sev" style="background:${colour}"></span>${esc(message(a))}${unverified}</div>
    <div class="meta">${esc(t(`alerts.kind.${a.kind}`))} · ${esc(a.period || "—")} · ${esc(t("alerts.since"))} ${esc(shortTime(a.first_seen))}</div>
    <form class="ack" data-id="${a.id}"><input name="note" placeholder="${esc(t("alerts.note"))}">
      <button type="submit">${esc(t("alerts.ack"))}</button></form></li>`;
}

function render() {
  const button = document.getElementById("btn-alerts");
  if (button) {
    button.textContent = `${t("alerts.button")} ${state.alerts.length}`;
    button.classList.toggle("has-alerts", state.alerts.length > 0);
  }
  const box = document.getElementById("alerts-box");
  if (!box) return;
  box.hidden = !state.open;
  const list = state.alerts.length ? `<ul>${state.alerts.map(item).join("")}</ul>` : `<p class="muted">${esc(t("alerts.none"))}</p>`;
  box.innerHTML = `<h3>${esc(t("alerts.title"))}</h3>${list}`;
}

/** Fetch the open alerts again and redraw the rings and the list. */
export async function refreshAlerts() {
  try {
    const body = await api("api/alerts?state=open");
    const rank = (a) => (a.severity === "critical" ? 0 : 1);
    state.alerts = body.alerts.sort((a, b) => rank(a) - rank(b)); // newest first within a severity
  } catch {
    state.alerts = [];
  }
  state.map?.getSource(SOURCE)?.setData(featureCollection(state.alerts));
  render();
  document.body.dataset.alerts = String(state.alerts.length);
}

async function acknowledge(id, note) {
  const res = await fetch(`${ROOT}api/alerts/${id}/ack`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ note: note || null }),
  });
  if (!res.ok) throw new Error(`${res.status}`);
  await refreshAlerts();
}

function wire(onStatus) {
  const box = document.getElementById("alerts-box");
  box.addEventListener("submit", async (e) => {
    e.preventDefault();
    const id = e.target.dataset.id;
    try {
      await acknowledge(id, e.target.elements.note.value.trim());
      onStatus(`${t("alerts.acked")} #${id}`);
    } catch (err) {
      onStatus(`${t("alerts.error")}: ${err.message}`, true);
    }
  });
  box.addEventListener("click", (e) => {
    const msg = e.target.closest(".msg");
    const a = msg && state.alerts.find((x) => String(x.id) === msg.dataset.id);
    if (a && a.longitude != null) state.map.flyTo({ center: [a.longitude, a.latitude], zoom: Math.max(state.map.getZoom(), 12) });
    if (a && state.onPick) state.onPick(a);
  });
  document.getElementById("btn-alerts").addEventListener("click", () => {
    state.open = !state.open;
    render();
  });
}

/** Add the alert rings, the top-bar button and the list; call once the map's style has loaded. */
export function initAlerts(map, { onStatus = () => {}, onPick = null } = {}) {
  state.map = map;
  state.onPick = onPick;
  injectStyle();
  const button = document.createElement("button");
  button.id = "btn-alerts";
  button.type = "button";
  document.getElementById("btn-lang").before(button);
  const box = document.createElement("div");
  box.id = "alerts-box";
  box.hidden = true;
  document.getElementById("layout").append(box);
  addLayer(map);
  wire(onStatus);
  render();
  return refreshAlerts();
}

/** Redraw the list in the current language. */
export function retranslateAlerts() {
  render();
}
