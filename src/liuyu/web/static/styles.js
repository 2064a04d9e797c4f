// One cartographic style per category: MapLibre layers (all on the category's vector-tile
// source, whose MVT layer is named after the category) and the legend the layer tree shows.

export const FONT = ["Microsoft YaHei", "PingFang SC", "Noto Sans CJK SC", "WenQuanYi Micro Hei"];
export const LOCAL_CJK_FONT = "'Microsoft YaHei', 'PingFang SC', 'Noto Sans CJK SC', 'WenQuanYi Micro Hei', sans-serif";

/** Order of drawing, bottom to top; categories not listed are drawn below these. */
export const DRAW_ORDER = [
  "land_use", "forest_subcompartments", "spatial_planning", "soil_erosion", "small_watersheds",
  "steep_slopes", "river_management_ranges", "reservoir_protection_ranges", "protection_zones",
  "reservoirs", "village_meshes", "contours", "rivers", "townships", "counties", "basin",
  "villages", "sewage_facilities", "stations", "network_gaps",
];

/** Shown when the map opens; the rest are one click away in the layer tree. */
export const DEFAULT_VISIBLE = new Set([
  "basin", "counties", "rivers", "reservoirs", "protection_zones", "stations",
  // derived in the demo: slopes over 25° (`liuyu derive steep-slopes`) and the gaps of the network
  // (suggested new sections, `liuyu analyze coverage`)
  "steep_slopes", "network_gaps",
]);

export const STATION_KIND_COLOURS = {
  rain: "#4aa3df",
  flow: "#1f4e9c",
  level: "#13877a",
  water_quality: "#c2185b",
  auto_water_quality: "#7b3fa0",
  ecology: "#5e9e2f",
  soil_conservation: "#8d6e4a",
  sewage_outfall: "#e0561b",
  rural_sewage: "#d9a21b",
};

// GB 3838-2002 section classes in the colours of the national assessment (Ⅰ–Ⅱ blue, Ⅲ green,
// Ⅳ yellow, Ⅴ orange, 劣Ⅴ red).
export const WATER_CLASS_COLOURS = {
  I: "#1e6fd9", II: "#1e6fd9", III: "#2ca02c", IV: "#f2c500", V: "#f28e1c", worse_than_V: "#d62728",
};

/** Class number of the assessment API (1..5 for Ⅰ..Ⅴ, 6 for 劣Ⅴ) → key of WATER_CLASS_COLOURS. */
export const CLASS_NUMBER_KEYS = { 1: "I", 2: "II", 3: "III", 4: "IV", 5: "V", 6: "worse_than_V" };

/** The colour of a class number, grey when it has none. */
export function classColour(n) {
  return WATER_CLASS_COLOURS[CLASS_NUMBER_KEYS[n]] ?? "#b0b7bc";
}

/** Text colour that reads on a class colour (dark on yellow and orange, white on the rest). */
export function classInk(n) {
  return n === 4 || n === 5 ? "#1f2a33" : "#ffffff";
}

/** QC status of a point (/api/stations/{code}/series) → how the chart marks it. */
export const QC_MARKS = {
  suspect: { symbol: "diamond", color: "#f28e1c", size: 9 },
  rejected: { symbol: "path://M2 0L5 3L8 0L10 2L7 5L10 8L8 10L5 7L2 10L0 8L3 5L0 2Z", color: "#d62728", size: 9 },
  censored: { symbol: "emptyTriangle", color: "#6d6d6d", size: 9, rotate: 180 },
};

export const LAND_USE_COLOURS = {
  "00": "#79c7b8", "01": "#f3e08a", "02": "#cfe08c", "03": "#6fae6a", "04": "#b9d88f",
  "05": "#e89ac1", "06": "#a9a9a9", "07": "#f2a98a", "08": "#d7a8cf", "09": "#b5aed6",
  "10": "#c8c8c8", "11": "#9cc9e8", "12": "#ddd3bd",
};

export const PROTECTION_GRADE_COLOURS = { 1: "#c62828", 2: "#ef6c00", quasi: "#f9a825" };

export const PLANNING_COLOURS = {
  ecological_protection_redline: "#d7191c",
  permanent_basic_farmland: "#e6b800",
  urban_development_boundary: "#6a51a3",
  ecological_space: "#66bd63",
  agricultural_space: "#fee08b",
  urban_space: "#9e9ac8",
};

const RESERVOIR_RANGE_COLOURS = { management: "#2b8cbe", protection: "#7bccc4" };
const CONTOUR_COLOUR = "#b0875a";

function match(property, colours, fallback) {
  const pairs = Object.entries(colours).flat();
  return ["match", ["to-string", ["get", property]], ...pairs, fallback];
}

const stationColour = match("kind", STATION_KIND_COLOURS, "#607d8b");
const landUseColour = [
  "match", ["slice", ["to-string", ["get", "class_code"]], 0, 2],
  ...Object.entries(LAND_USE_COLOURS).flat(), "#e0e0e0",
];

function label(code, field, minzoom, extra = {}) {
  return {
    id: `${code}-label`,
    labelPoints: extra.points ?? false,
    type: "symbol",
    minzoom,
    layout: {
      "text-field": ["to-string", ["get", field]],
      "text-font": FONT,
      "text-size": extra.size ?? 12,
      "text-max-width": 8,
      "symbol-placement": extra.placement ?? "point",
      "text-offset": extra.offset ?? [0, 0],
      "text-anchor": extra.anchor ?? "center",
      "text-optional": true,
    },
    paint: {
      "text-color": extra.color ?? "#333",
      "text-halo-color": "rgba(255,255,255,0.9)",
      "text-halo-width": 1.4,
    },
  };
}

function fill(code, color, opacity, outline, outlineWidth = 0.8, dash = null) {
  const line = { "line-color": outline, "line-width": outlineWidth };
  if (dash) line["line-dasharray"] = dash;
  return [
    { id: `${code}-fill`, type: "fill", paint: { "fill-color": color, "fill-opacity": opacity } },
    { id: `${code}-line`, type: "line", paint: line },
  ];
}

function legendFromCodelist(colours, codelist, nameOf, sorted = false) {
  const label = (value) => {
    const names = codelist?.[value];
    return names ? nameOf({ name_zh: names[0], name_en: names[1] }) : value;
  };
  // objects list integer-like keys ("10") before others ("01"): codes that sort need sorting
  const entries = Object.entries(colours);
  if (sorted) entries.sort(([a], [b]) => a.localeCompare(b));
  return entries.map(([value, colour]) => [colour, label(value)]);
}

/**
 * Layers with `ground` are drawn beneath every other category (the basin's paper-white interior).
 * Labels with `labelPoints` are drawn from one point per polygon (/api/labels/{code}) rather
 * than from the tiles, which would repeat a polygon's name in every tile it touches.
 *
 * The style of each category: `layers(code)` gives MapLibre layer specs (without source), and
 * `legend(codelists, nameOf)` the entries the layer tree shows ([colour, label] pairs).
 */
export const STYLES = {
  basin: {
    layers: (c) => [
      { id: `${c}-ground`, type: "fill", ground: true, paint: { "fill-color": "#fbfbf7", "fill-opacity": 1 } },
      { id: `${c}-halo`, type: "line", paint: { "line-color": "#ffffff", "line-width": 6, "line-opacity": 0.8 } },
      { id: `${c}-line`, type: "line", paint: { "line-color": "#17375e", "line-width": 2.6 } },
    ],
    swatch: { line: "#17375e" },
  },
  counties: {
    layers: (c) => [
      { id: `${c}-line`, type: "line", paint: { "line-color": "#5a5a5a", "line-width": 1.5, "line-dasharray": [5, 2, 1, 2] } },
      label(c, "name", 7.5, { size: 13, color: "#444", points: true }),
    ],
    swatch: { line: "#5a5a5a" },
  },
  townships: {
    layers: (c) => [
      { id: `${c}-line`, type: "line", paint: { "line-color": "#8a8a8a", "line-width": 0.7, "line-dasharray": [3, 2] } },
      label(c, "name", 10, { size: 11, color: "#666", points: true }),
    ],
    swatch: { line: "#8a8a8a" },
  },
  villages: {
    layers: (c) => [
      { id: `${c}-circle`, type: "circle", paint: {
        "circle-color": "#8c6d5a", "circle-radius": ["interpolate", ["linear"], ["zoom"], 8, 1.5, 13, 4],
        "circle-stroke-color": "#fff", "circle-stroke-width": 0.6 } },
      label(c, "name", 12, { size: 11, offset: [0, 0.9], anchor: "top", color: "#5d4037" }),
    ],
    swatch: { circle: "#8c6d5a" },
  },
  rivers: {
    layers: (c) => [
      { id: `${c}-line`, type: "line", layout: { "line-cap": "round", "line-join": "round" }, paint: {
        "line-color": "#3b7dc4",
        "line-width": ["interpolate", ["linear"], ["zoom"],
          7, ["match", ["get", "order"], 1, 2.2, 2, 1.3, 0.7],
          12, ["match", ["get", "order"], 1, 4.5, 2, 3, 3, 2, 1.4]],
      } },
      label(c, "name", 8.5, { placement: "line", color: "#1f5a99", size: 12 }),
    ],
    swatch: { line: "#3b7dc4" },
  },
  reservoirs: {
    layers: (c) => [...fill(c, "#9dc8ea", 0.95, "#3b7dc4", 1), label(c, "name", 8, { color: "#1f5a99", size: 13, points: true })],
    swatch: { fill: "#9dc8ea", line: "#3b7dc4" },
  },
  small_watersheds: {
    layers: (c) => [
      ...fill(c, "#74add1", 0.04, "#4a90c2", 0.8, [2, 1]),
      label(c, "name", 10.5, { size: 10.5, color: "#2c6a9a", points: true }),
    ],
    swatch: { fill: "#e6f0f8", line: "#4a90c2" },
  },
  river_management_ranges: {
    layers: (c) => fill(c, "#7fb3e0", 0.3, "#4a90c2", 0.6),
    swatch: { fill: "#7fb3e0", line: "#4a90c2" },
  },
  reservoir_protection_ranges: {
    layers: (c) => fill(c, match("range_type", RESERVOIR_RANGE_COLOURS, "#7bccc4"), 0.22,
      match("range_type", RESERVOIR_RANGE_COLOURS, "#7bccc4"), 1.2, [4, 2]),
    legend: (lists, nameOf) => legendFromCodelist(RESERVOIR_RANGE_COLOURS, lists.reservoir_range_type, nameOf),
  },
  protection_zones: {
    layers: (c) => [
      ...fill(c, match("grade", PROTECTION_GRADE_COLOURS, "#f9a825"),
        ["match", ["to-string", ["get", "grade"]], "1", 0.3, "2", 0.18, 0.1],
        match("grade", PROTECTION_GRADE_COLOURS, "#f9a825"), 1.6),
      label(c, "name", 10, { size: 11, color: "#8e1b1b", points: true }),
    ],
    legend: (lists, nameOf) => legendFromCodelist(PROTECTION_GRADE_COLOURS, lists.protection_zone_grade, nameOf),
  },
  contours: {
    layers: (c) => [
      { id: `${c}-line`, type: "line", paint: {
        "line-color": CONTOUR_COLOUR,
        "line-width": ["match", ["get", "contour_type"], "index", 1.1, 0.5],
      } },
      label(c, "elevation_m", 11, { placement: "line", size: 10, color: "#8a6238" }),
    ],
    swatch: { line: CONTOUR_COLOUR },
  },
  network_gaps: {
    layers: (c) => [
      { id: `${c}-circle`, type: "circle", paint: {
        "circle-color": "#6a1b9a", "circle-radius": ["interpolate", ["linear"], ["zoom"], 7, 4.5, 13, 8],
        "circle-stroke-color": "#ffffff", "circle-stroke-width": 1.5 } },
    ],
    swatch: { circle: "#6a1b9a" },
  },
  steep_slopes: {
    layers: (c) => fill(c, "#a1745a", 0.35, "#7a5238", 0.5),
    swatch: { fill: "#a1745a" },
  },
  land_use: {
    layers: (c) => [
      { id: `${c}-fill`, type: "fill", paint: { "fill-color": landUseColour, "fill-opacity": 0.75 } },
      { id: `${c}-line`, type: "line", minzoom: 11, paint: { "line-color": "#ffffff", "line-width": 0.4 } },
    ],
    legend: (lists, nameOf) => legendFromCodelist(LAND_USE_COLOURS, lists.land_survey, nameOf, true),
  },
  forest_subcompartments: {
    layers: (c) => fill(c, "#3f8f4f", 0.25, "#2f6f3c", 0.6),
    swatch: { fill: "#3f8f4f", line: "#2f6f3c" },
  },
  spatial_planning: {
    layers: (c) => fill(c, match("zone_type", PLANNING_COLOURS, "#bbbbbb"), 0.28,
      match("zone_type", PLANNING_COLOURS, "#999999"), 1.2),
    legend: (lists, nameOf) => legendFromCodelist(PLANNING_COLOURS, lists.spatial_planning_zone, nameOf),
  },
  village_meshes: {
    layers: (c) => fill(c, "#ffb74d", 0.35, "#e65100", 0.8),
    swatch: { fill: "#ffb74d", line: "#e65100" },
  },
  sewage_facilities: {
    layers: (c) => [
      { id: `${c}-circle`, type: "circle", paint: {
        "circle-color": "#6a3d9a", "circle-radius": ["interpolate", ["linear"], ["zoom"], 8, 2.5, 13, 5.5],
        "circle-stroke-color": "#fff", "circle-stroke-width": 1 } },
      label(c, "name", 13, { size: 10.5, offset: [0, 1], anchor: "top", color: "#4a2a6e" }),
    ],
    swatch: { circle: "#6a3d9a" },
  },
  stations: {
    layers: (c) => [
      { id: `${c}-circle`, type: "circle", paint: {
        "circle-color": stationColour,
        "circle-radius": ["interpolate", ["linear"], ["zoom"],
          7, ["match", ["get", "kind"], ["water_quality", "auto_water_quality"], 4.5, 3],
          13, ["match", ["get", "kind"], ["water_quality", "auto_water_quality"], 9, 6.5]],
        "circle-stroke-color": "#ffffff", "circle-stroke-width": 1.2 } },
      label(c, "name", 11, { size: 11, offset: [0, 1.1], anchor: "top", color: "#263238" }),
    ],
    legend: (lists, nameOf) => legendFromCodelist(STATION_KIND_COLOURS, lists.station_kind, nameOf),
  },
};

/** Layers of a category without its own style: a neutral one by geometry type. */
export function fallbackLayers(code, geometry) {
  if (geometry.includes("Point")) {
    return [{ id: `${code}-circle`, type: "circle", paint: { "circle-color": "#546e7a", "circle-radius": 4 } }];
  }
  if (geometry.includes("Line")) return [{ id: `${code}-line`, type: "line", paint: { "line-color": "#546e7a" } }];
  return fill(code, "#90a4ae", 0.25, "#546e7a");
}

/** A highlight layer for the selected feature of a category (filtered by the feature key `id`). */
export function highlightLayer(code, geometry) {
  const none = ["==", ["get", "id"], "\u0000"];
  if (geometry.includes("Point")) {
    return { id: `${code}-highlight`, type: "circle", filter: none, paint: {
      "circle-color": "rgba(0,0,0,0)", "circle-radius": 11, "circle-stroke-color": "#00e5ff", "circle-stroke-width": 3 } };
  }
  return { id: `${code}-highlight`, type: "line", filter: none, paint: { "line-color": "#00e5ff", "line-width": 3.5 } };
}

/**
 * Hook for water-quality assessment results: colour the sections by their latest GB 3838 class.
 * `classes` maps a station code to a class key of WATER_CLASS_COLOURS ("I" … "worse_than_V").
 * Called by the period selector (map.js) with the classes from /api/assessments.
 */
export function setSectionClasses(map, classes) {
  const entries = Object.entries(classes ?? {}).filter(([, k]) => WATER_CLASS_COLOURS[k]);
  const colour = entries.length
    ? ["match", ["get", "code"], ...entries.flatMap(([code, k]) => [code, WATER_CLASS_COLOURS[k]]), stationColour]
    : stationColour;
  if (map.getLayer("stations-circle")) map.setPaintProperty("stations-circle", "circle-color", colour);
}

/**
 * Tint each reservoir polygon by the class of its water body in the chosen period (the lake/reservoir
 * assessment of /api/assessments, `water_bodies`: key = reservoir code, else name); [] = plain fill.
 */
export function setWaterBodyClasses(map, bodies) {
  const id = "reservoirs-fill";
  if (!map.getLayer(id)) return;
  map.liuyuReservoirFill ??= map.getPaintProperty(id, "fill-color");
  const plain = map.liuyuReservoirFill;
  const byKey = new Map((bodies ?? []).filter((b) => WATER_CLASS_COLOURS[b.key])
    .map((b) => [String(b.water_body), WATER_CLASS_COLOURS[b.key]]));
  const byName = new Map((bodies ?? []).filter((b) => WATER_CLASS_COLOURS[b.key])
    .map((b) => [String(b.name), WATER_CLASS_COLOURS[b.key]]));
  const match = (prop, pairs, fallback) => (pairs.size
    ? ["match", ["to-string", ["get", prop]], ...[...pairs].flat(), fallback] : fallback);
  map.setPaintProperty(id, "fill-color", match("code", byKey, match("name", byName, plain)));
}
