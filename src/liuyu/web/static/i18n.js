// Every string of the map's interface, in Chinese and English. Category, field and code names
// come from the catalogue (/api/catalog), not from here.

export const STRINGS = {
  zh: {
    "app.title": "流域一张图",
    "search.placeholder": "搜索名称或编码…",
    "search.none": "没有找到",
    "action.basin": "全流域",
    "action.dataview": "数据完整性",
    "lang.other": "EN",
    "tree.title": "图层",
    "tree.raster": "栅格（暂不在地图上显示）",
    "tree.empty": "无数据",
    "status.loading": "加载中…",
    "status.error": "加载失败",
    "status.ready": "就绪",
    "group.boundaries": "边界",
    "group.water": "水系",
    "group.terrain": "地形",
    "group.land": "土地",
    "group.protection": "保护范围",
    "group.network": "监测网络",
    "group.settlements": "村镇",
    "panel.attributes": "属性",
    "panel.more": "更多属性",
    "panel.category": "图层",
    "panel.jurisdiction": "辖区",
    "panel.id": "要素标识",
    "panel.station": "监测站点",
    "panel.series": "观测序列",
    "panel.noseries": "该站点暂无观测数据",
    "panel.property": "指标",
    "panel.unit": "单位",
    "panel.count": "个数",
    "panel.last": "最近观测",
    "panel.method": "方法",
    "chart.value": "观测值",
    "chart.censored": "低于检出限",
    "chart.flagged": "质控标记",
    "chart.loading": "正在加载序列…",
    "chart.empty": "该时段无观测",
    "chart.qc": "质控标记",
    "data.title": "数据完整性（图层 × 辖区）",
    "data.category": "图层",
    "data.version": "版本",
    "data.features": "要素数",
    "data.updated": "更新时间（UTC）",
    "data.present": "齐全",
    "data.partial": "部分",
    "data.missing": "缺失",
    "data.coverage": "覆盖",
    "data.nodata": "个站点无数据",
    "data.report": "入库报告",
    "data.open": "查看",
    "data.stale": "过期",
    "data.note": "覆盖类图层按其覆盖辖区内流域面积的比例判断（≥98% 为齐全）；监测站点有站无数据为部分；其余图层按辖区是否有要素判断。",
    "legend.other": "其他",
    "legend.noclass": "水质类别（评价后显示）",
    "assess.title": "水质类别",
    "assess.period": "时段",
    "assess.none": "不着色",
    "assess.nodata": "暂无化验数据",
    "assess.shown": "已按水质类别着色：",
    "assess.error": "水质评价加载失败",
    "msg.tiles": "地图数据加载失败",
  },
  en: {
    "app.title": "Basin one map",
    "search.placeholder": "Search a name or code…",
    "search.none": "Nothing found",
    "action.basin": "Whole basin",
    "action.dataview": "Data completeness",
    "lang.other": "中文",
    "tree.title": "Layers",
    "tree.raster": "Raster (not drawn on the map yet)",
    "tree.empty": "no data",
    "status.loading": "Loading…",
    "status.error": "Failed to load",
    "status.ready": "Ready",
    "group.boundaries": "Boundaries",
    "group.water": "Water",
    "group.terrain": "Terrain",
    "group.land": "Land",
    "group.protection": "Protection",
    "group.network": "Monitoring network",
    "group.settlements": "Settlements",
    "panel.attributes": "Attributes",
    "panel.more": "More attributes",
    "panel.category": "Layer",
    "panel.jurisdiction": "Jurisdiction",
    "panel.id": "Feature id",
    "panel.station": "Monitoring station",
    "panel.series": "Series",
    "panel.noseries": "No observations at this station yet",
    "panel.property": "Property",
    "panel.unit": "Unit",
    "panel.count": "Count",
    "panel.last": "Last",
    "panel.method": "Method",
    "chart.value": "Value",
    "chart.censored": "Below detection limit",
    "chart.flagged": "QC flagged",
    "chart.loading": "Loading the series…",
    "chart.empty": "No observations in this period",
    "chart.qc": "QC flag",
    "data.title": "Data completeness (layer × jurisdiction)",
    "data.category": "Layer",
    "data.version": "Version",
    "data.features": "Features",
    "data.updated": "Updated (UTC)",
    "data.present": "present",
    "data.partial": "partial",
    "data.missing": "missing",
    "data.coverage": "covers",
    "data.nodata": "stations without data",
    "data.report": "Ingest report",
    "data.open": "open",
    "data.stale": "stale",
    "data.note": "Layers that tile the basin are judged by the share of the jurisdiction's part of the basin they cover (≥ 98 % is present); stations are partial when some have no data; other layers are present when the jurisdiction delivered features.",
    "legend.other": "Other",
    "legend.noclass": "Water class (shown once assessed)",
    "assess.title": "Water quality class",
    "assess.period": "Period",
    "assess.none": "No colouring",
    "assess.nodata": "No lab data yet",
    "assess.shown": "Sections coloured by class:",
    "assess.error": "Assessment failed to load",
    "msg.tiles": "Map data failed to load",
  },
};

let current = localStorage.getItem("liuyu.lang") === "en" ? "en" : "zh";

export function lang() {
  return current;
}

export function setLang(value) {
  current = value === "en" ? "en" : "zh";
  localStorage.setItem("liuyu.lang", current);
  document.documentElement.lang = current === "zh" ? "zh-CN" : "en";
}

/** The interface string for a key in the current language (the key itself when unknown). */
export function t(key) {
  return STRINGS[current][key] ?? STRINGS.zh[key] ?? key;
}

/** The Chinese or English name of anything with name_zh / name_en. */
export function nameOf(item) {
  if (!item) return "";
  return (current === "en" ? item.name_en : item.name_zh) || item.name_zh || item.name_en || "";
}

/** Translate the static page: elements with data-i18n (text) and data-i18n-placeholder. */
export function translatePage(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  }
}
