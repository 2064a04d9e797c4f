// Small helpers shared by the map's modules.

/** The root of the Liuyu server (this file is served at <root>/static/util.js). */
export const ROOT = new URL("../", import.meta.url).href;

/** GET a JSON document from the server; throws with the OGC exception's description on errors. */
export async function api(path) {
  const res = await fetch(ROOT + path, { headers: { Accept: "application/json" } });
  if (!res.ok) {
    let detail = `${res.status} ${res.statusText}`;
    try {
      detail = (await res.json()).description ?? detail;
    } catch {
      // not JSON: keep the status line
    }
    throw new Error(detail);
  }
  return res.json();
}

const ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text made safe to put into HTML. */
export function esc(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

/** An ISO time as "YYYY-MM-DD HH:MM" (UTC), or a dash. */
export function shortTime(iso) {
  return iso ? iso.replace("T", " ").slice(0, 16) : "—";
}
