/* The query page: YASGUI (service/web/static/yasgui/) set up for this endpoint.
 *
 * Everything it needs comes from this origin: the saved queries, prefixes and vocabulary terms in
 * the page's JSON configuration, completion from those lists (never from another server), a chart
 * and a timeline drawn as SVG by the two YASR plugins below. The address names what is shown:
 * ?saved=NAME for a saved query as it is, ?query=TEXT for any other, so a link can be shared and
 * the browser's Back returns to the query before.
 */
"use strict";
(function () {
  const config = JSON.parse(document.getElementById("dakg-config").textContent);
  const words = JSON.parse(document.getElementById("dakg-messages").textContent);
  const $ = (id) => document.getElementById(id);
  const SVG = "http://www.w3.org/2000/svg";
  const XSD = "http://www.w3.org/2001/XMLSchema#";
  const NUMERIC = new Set(["integer", "decimal", "double", "float", "int", "long", "short",
    "positiveInteger", "nonNegativeInteger", "negativeInteger", "nonPositiveInteger",
    "unsignedInt", "unsignedLong"].map((t) => XSD + t));
  const DATES = new Set(["date", "dateTime", "gYear", "gYearMonth", "dateTimeStamp"].map((t) => XSD + t));
  const HISTORY_KEY = "dakg-sparql-history";
  const HISTORY_SIZE = 25;
  const examples = config.examples || [];
  const byName = new Map(examples.map((e) => [e.name, e]));
  const prefixes = config.prefixes || {};
  const longestFirst = Object.entries(prefixes).sort((a, b) => b[1].length - a[1].length);
  const root = document.querySelector('link[href*="/static/sparql.css"]').getAttribute("href").replace(/\/static\/sparql\.css(\?.*)?$/, "");
  const endpoint = new URL(root + "/sparql", window.location.origin).href;
  const pageLang = document.documentElement.lang;
  const explicitLang = new URLSearchParams(window.location.search).has("lang");

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function svg(tag, attributes, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, String(value));
    if (text !== undefined) node.textContent = String(text);
    return node;
  }

  function compact(iri) {
    for (const [prefix, ns] of longestFirst) {
      if (iri.startsWith(ns) && iri.length > ns.length) return prefix + ":" + iri.slice(ns.length);
    }
    return iri;
  }

  function localHref(iri) {
    if (config.base && iri.startsWith(config.base)) return root + "/" + iri.slice(config.base.length);
    return /^https?:\/\//i.test(iri) ? iri : null;
  }

  function termText(term) {
    if (!term) return "";
    return term.type === "uri" ? compact(term.value) : term.value;
  }

  // ---- the address: ?saved=NAME or ?query=TEXT, with the page's language when chosen ----------

  function addressFor(query) {
    const params = new URLSearchParams();
    const saved = examples.find((e) => e.query === query);
    if (saved) params.set("saved", saved.name);
    else params.set("query", query);
    if (explicitLang) params.set("lang", pageLang);
    return root + "/sparql?" + params.toString();
  }

  function fromAddress() {
    const params = new URLSearchParams(window.location.search);
    const saved = byName.get(params.get("saved") || "");
    if (saved) return { query: saved.query, example: saved };
    const query = params.get("query");
    return query ? { query: query, example: null } : null;
  }

  function showAddress(query, push) {
    const address = addressFor(query);
    const here = window.location.pathname + window.location.search;
    if (address !== here) {
      if (push) history.pushState({ query: query }, "", address);
      else history.replaceState({ query: query }, "", address);
    }
    $("share").value = new URL(address, window.location.origin).href;
    $("share-open").href = address;
    for (const link of document.querySelectorAll(".lang-switch a[hreflang]")) {
      const params = new URLSearchParams(address.split("?")[1] || "");
      params.set("lang", link.getAttribute("hreflang"));
      link.href = root + "/sparql?" + params.toString();
    }
  }

  function showExample(example) {
    $("examples").value = example ? example.name : "";
    $("description").textContent = example ? example.description || "" : "";
  }

  // ---- history of the queries run here (this browser only) -------------------------------------

  function readHistory() {
    try {
      const list = JSON.parse(window.localStorage.getItem(HISTORY_KEY) || "[]");
      return Array.isArray(list) ? list.filter((q) => typeof q === "string") : [];
    } catch (error) {
      return [];
    }
  }

  function remember(query) {
    const list = [query, ...readHistory().filter((q) => q !== query)].slice(0, HISTORY_SIZE);
    try { window.localStorage.setItem(HISTORY_KEY, JSON.stringify(list)); } catch (error) { /* full or off */ }
    drawHistory(list);
  }

  function drawHistory(list) {
    const select = $("recent");
    const first = select.options[0];
    select.replaceChildren(first);
    list.forEach((query, i) => {
      const saved = examples.find((e) => e.query === query);
      const line = saved ? saved.title : query.replace(/^(PREFIX[^\n]*\n|#[^\n]*\n|\s*\n)*/i, "").replace(/\s+/g, " ").slice(0, 90);
      const option = el("option", line);
      option.value = String(i);
      select.appendChild(option);
    });
  }

  // ---- completion from our own lists -----------------------------------------------------------

  const Yasqe = Yasgui.Yasqe;
  const Yasr = Yasgui.Yasr;
  const terms = config.terms || { classes: [], properties: [] };
  Yasqe.Autocompleters.prefixes.get = () => Object.keys(prefixes).sort().map((p) => p + ": <" + prefixes[p] + ">");
  Yasqe.Autocompleters.prefixes.persistenceId = null;
  for (const [name, list] of [["class", terms.classes], ["property", terms.properties]]) {
    const completer = Yasqe.Autocompleters[name];
    completer.bulk = true;
    completer.persistenceId = null;
    completer.get = () => list.slice();
    completer.autoShow = false;
  }

  // ---- a chart and a timeline of suitable results, drawn as SVG --------------------------------

  function rowsOf(yasr) {
    const results = yasr.results;
    if (!results || results.getType() !== "json") return null;
    const vars = results.getVariables ? results.getVariables() : [];
    const rows = results.getBindings ? results.getBindings() : null;
    return rows && rows.length ? { vars: vars, rows: rows } : null;
  }

  function numeric(term) {
    return term && term.type !== "uri" && term.type !== "bnode" && NUMERIC.has(term.datatype) && isFinite(Number(term.value));
  }

  function dated(term) {
    if (!term || (term.type !== "literal" && term.type !== "typed-literal")) return false;
    const looksDated = DATES.has(term.datatype) || (!term.datatype && /^\d{4}(-\d{2}(-\d{2})?)?$/.test(term.value));
    return looksDated && !isNaN(Date.parse(dateOf(term.value)));
  }

  function distinct(data, v) {
    return new Set(data.rows.map((r) => (r[v] ? r[v].value : ""))).size;
  }

  function dateOf(value) {
    if (/^-?\d{4}$/.test(value)) return value + "-01-01";
    if (/^-?\d{4}-\d{2}$/.test(value)) return value + "-01";
    return value.replace(/([+-]\d{2}:\d{2}|Z)$/, "");
  }

  function chartColumns(data) {
    const number = data.vars.find((v) => data.rows.every((r) => !r[v] || numeric(r[v])) && data.rows.some((r) => numeric(r[v])));
    if (!number) return null;
    const label = data.vars.find((v) => v !== number && data.rows.some((r) => r[v] && r[v]["xml:lang"])) ||
      data.vars.find((v) => v !== number && data.rows.some((r) => r[v] && !numeric(r[v])));
    return label ? { label: label, number: number } : null;
  }

  function timelineColumns(data) {
    // The dated column that varies most (a bound parameter has one value in every row).
    const dates = data.vars.filter((v) => data.rows.some((r) => dated(r[v])));
    if (!dates.length) return null;
    const date = dates.sort((a, b) => distinct(data, b) - distinct(data, a))[0];
    const label = data.vars.find((v) => v !== date && data.rows.some((r) => r[v] && r[v]["xml:lang"])) ||
      data.vars.find((v) => v !== date && data.rows.some((r) => r[v] && r[v].type === "literal" && !dated(r[v]))) ||
      data.vars.find((v) => v !== date);
    return { date: date, label: label };
  }

  function linked(node, term) {
    const href = term && term.type === "uri" ? localHref(term.value) : null;
    if (!href) return node;
    const a = svg("a", { href: href });
    a.appendChild(node);
    return a;
  }

  function clip(text, n) {
    // A wide (CJK) character takes about two narrow ones' room.
    const room = /[^\u0000-\u02ff]/.test(text) ? Math.floor(n / 2) + 2 : n;
    return text.length > room ? text.slice(0, room - 1) + "…" : text;
  }

  function target(data, row, label) {
    // What a row's label links to: the label itself when an IRI, else the row's first IRI.
    if (row[label] && row[label].type === "uri") return row[label];
    const v = data.vars.find((name) => row[name] && row[name].type === "uri");
    return v ? row[v] : null;
  }

  class ChartPlugin {
    constructor(yasr) { this.yasr = yasr; this.priority = 5; this.label = words.chart; }
    canHandleResults() { const data = rowsOf(this.yasr); return !!(data && chartColumns(data)); }
    getIcon() { return icon("M3 20h18v1H3zM5 10h3v9H5zm5-6h3v15h-3zm5 9h3v6h-3z"); }
    draw() {
      const data = rowsOf(this.yasr);
      const columns = data && chartColumns(data);
      const box = el("div", null, "dakg-chart");
      if (!columns) { box.textContent = words.no_chart; this.yasr.resultsEl.appendChild(box); return; }
      const rows = data.rows.filter((r) => numeric(r[columns.number])).slice(0, 200);
      const values = rows.map((r) => Number(r[columns.number].value));
      const max = Math.max(0, ...values), min = Math.min(0, ...values);
      const width = 760, left = 290, right = 70, bar = 22, gap = 6, top = 28;
      const height = top + rows.length * (bar + gap) + 10;
      const scale = (v) => left + ((v - min) / ((max - min) || 1)) * (width - left - right);
      const picture = svg("svg", { viewBox: `0 0 ${width} ${height}`, width: "100%", role: "group", "aria-label": `${words.chart}: ${columns.number} / ${columns.label}`, class: "dakg-chart-svg" });
      picture.appendChild(svg("text", { x: left, y: 16, class: "axis" }, columns.number));
      picture.appendChild(svg("line", { x1: scale(0), x2: scale(0), y1: top - 4, y2: height - 6, class: "zero" }));
      rows.forEach((row, i) => {
        const y = top + i * (bar + gap);
        const value = values[i];
        const name = termText(row[columns.label]);
        const g = svg("g", { class: "bar" });
        const title = svg("title", {}, `${name}: ${row[columns.number].value}`);
        g.appendChild(title);
        g.appendChild(linked(svg("text", { x: left - 8, y: y + bar * 0.7, "text-anchor": "end" }, clip(name, 40)), target(data, row, columns.label)));
        const x0 = scale(Math.min(0, value)), x1 = scale(Math.max(0, value));
        g.appendChild(svg("rect", { x: x0, y: y, width: Math.max(1, x1 - x0), height: bar, rx: 2 }));
        g.appendChild(svg("text", { x: x1 + 6, y: y + bar * 0.7, class: "value" }, Number(value).toLocaleString(pageLang)));
        picture.appendChild(g);
      });
      box.appendChild(picture);
      this.yasr.resultsEl.appendChild(box);
    }
  }

  class TimelinePlugin {
    constructor(yasr) { this.yasr = yasr; this.priority = 4; this.label = words.timeline; }
    canHandleResults() { const data = rowsOf(this.yasr); return !!(data && timelineColumns(data)); }
    getIcon() { return icon("M2 11h20v2H2zM6 7h2v10H6zm5 2h2v6h-2zm5-3h2v12h-2z"); }
    draw() {
      const data = rowsOf(this.yasr);
      const columns = data && timelineColumns(data);
      const box = el("div", null, "dakg-timeline");
      if (!columns) { box.textContent = words.no_timeline; this.yasr.resultsEl.appendChild(box); return; }
      const events = data.rows.filter((r) => dated(r[columns.date]))
        .map((r) => ({ time: Date.parse(dateOf(r[columns.date].value)), row: r }))
        .sort((a, b) => a.time - b.time).slice(0, 300);
      const first = events[0].time, last = events[events.length - 1].time;
      const width = 760, left = 110, lane = 22, top = 30;
      const height = top + events.length * lane + 10;
      const scale = (t) => left + 10 + ((t - first) / ((last - first) || 1)) * (width - left - 30);
      const picture = svg("svg", { viewBox: `0 0 ${width} ${height}`, width: "100%", role: "group", "aria-label": `${words.timeline}: ${columns.date}`, class: "dakg-timeline-svg" });
      picture.appendChild(svg("line", { x1: left + 10, x2: width - 20, y1: top - 10, y2: top - 10, class: "axis-line" }));
      const startYear = new Date(first).getUTCFullYear(), endYear = new Date(last).getUTCFullYear();
      const step = Math.max(1, Math.ceil((endYear - startYear + 1) / 10));
      for (let year = startYear; year <= endYear + 1; year += step) {
        const x = scale(Date.UTC(year, 0, 1));
        if (x < left + 10 || x > width - 20) continue;
        picture.appendChild(svg("line", { x1: x, x2: x, y1: top - 14, y2: height - 6, class: "tick" }));
        picture.appendChild(svg("text", { x: x + 3, y: top - 16, class: "axis" }, year));
      }
      events.forEach((event, i) => {
        const y = top + i * lane + lane / 2;
        const x = scale(event.time);
        const label = columns.label ? termText(event.row[columns.label]) : "";
        const g = svg("g", { class: "event" });
        g.appendChild(svg("title", {}, `${event.row[columns.date].value} ${label}`));
        g.appendChild(svg("text", { x: left - 6, y: y + 4, "text-anchor": "end", class: "date" }, event.row[columns.date].value));
        g.appendChild(svg("circle", { cx: x, cy: y, r: 5 }));
        const anchorEnd = x > width * 0.6;
        g.appendChild(linked(svg("text", { x: anchorEnd ? x - 9 : x + 9, y: y + 4, "text-anchor": anchorEnd ? "end" : "start" }, clip(label, 60)), columns.label ? target(data, event.row, columns.label) : null));
        picture.appendChild(g);
      });
      box.appendChild(picture);
      this.yasr.resultsEl.appendChild(box);
    }
  }

  function icon(path) {
    const picture = svg("svg", { viewBox: "0 0 24 24", width: 16, height: 16, "aria-hidden": "true" });
    picture.appendChild(svg("path", { d: path, fill: "currentColor" }));
    const wrap = el("span");
    wrap.appendChild(picture);
    return wrap;
  }

  Yasr.registerPlugin("chart", ChartPlugin);
  Yasr.registerPlugin("timeline", TimelinePlugin);

  // ---- YASGUI itself ---------------------------------------------------------------------------

  const start = fromAddress();
  const firstQuery = start ? start.query : (examples[0] ? examples[0].query : "SELECT * WHERE { ?s ?p ?o } LIMIT 10");
  const yasgui = new Yasgui($("yasgui"), {
    requestConfig: { endpoint: endpoint, method: "POST" },
    autofocus: false,
    copyEndpointOnNewTab: true,
    endpointCatalogueOptions: { getData: () => [{ endpoint: endpoint }], keys: [] },
    populateFromUrl: false,
    autoAddOnInit: true,
    persistenceId: "dakg-sparql",
    yasqe: { value: firstQuery, showQueryButton: true, resizeable: true, editorHeight: "320px", createShareableLink: null },
    yasr: { prefixes: prefixes, pluginOrder: ["table", "response", "chart", "timeline"], defaultPlugin: "table" },
  });
  const tab = () => yasgui.getTab();
  const editor = () => tab().getYasqe();

  // Names for what YASGUI leaves unnamed, so that a screen reader can say what each control is.
  function nameControls() {
    const input = editor().getInputField();
    if (input) input.setAttribute("aria-label", words.editor);
    const scroller = editor().getWrapperElement().querySelector(".CodeMirror-scroll");
    // The editor's scrolling area takes the focus too, so that a long query scrolls by keyboard.
    if (scroller) { scroller.setAttribute("tabindex", "0"); scroller.setAttribute("role", "region"); scroller.setAttribute("aria-label", words.editor); }
    for (const select of document.querySelectorAll("#yasgui .tableSizer")) select.setAttribute("aria-label", words.page_size);
  }
  nameControls();
  tab().getYasr().on("drawn", nameControls);

  function setQuery(query, example) {
    const current = tab();
    current.setEndpoint(endpoint);
    editor().setValue(query);
    showExample(example);
  }

  // Whatever a restored tab held, the page shows what its address names, for this endpoint.
  setQuery(firstQuery, start ? start.example : examples[0] || null);
  showAddress(firstQuery, false);
  drawHistory(readHistory());

  examples.forEach((example) => {
    const option = el("option", example.title);
    option.value = example.name;
    $("examples").appendChild(option);
  });
  showExample(start ? start.example : examples[0] || null);

  $("examples").addEventListener("change", () => {
    const example = byName.get($("examples").value);
    if (!example) { showExample(null); return; }
    setQuery(example.query, example);
    showAddress(example.query, true);
  });
  $("recent").addEventListener("change", () => {
    const query = readHistory()[Number($("recent").value)];
    if (query === undefined) return;
    setQuery(query, examples.find((e) => e.query === query) || null);
    showAddress(query, true);
    $("recent").value = "";
  });
  $("share").addEventListener("focus", () => $("share").select());

  // The graph's IRIs in the results lead to their pages on this server (as the chart's do),
  // in this window; other IRIs go where they say. Rewritten as a link is reached, since the
  // table draws its rows anew on every page and sort.
  function localise(event) {
    const link = event.target.closest && event.target.closest("#yasgui a.iri");
    if (!link || !config.base || !link.href.startsWith(config.base)) return;
    link.href = localHref(link.href);
    link.removeAttribute("target");
  }
  for (const type of ["mousedown", "focusin", "mouseover", "touchstart"]) {
    $("yasgui").addEventListener(type, localise, { passive: true });
  }

  yasgui.on("query", (instance, current) => {
    const query = current.getQuery();
    current.setEndpoint(endpoint);
    showAddress(query, true);
    showExample(examples.find((e) => e.query === query) || null);
    remember(query);
  });

  function followAddress() {
    const found = fromAddress();
    if (!found) return;
    if (editor().getValue() !== found.query) setQuery(found.query, found.example);
    showAddress(found.query, false);
  }

  // Back and Forward, within the page or into it from the browser's page cache: the editor
  // shows the query the address names.
  window.addEventListener("popstate", followAddress);
  window.addEventListener("pageshow", (event) => { if (event.persisted) followAddress(); });

  // A link that names a query runs it; the page's own first query waits for the reader.
  if (start) editor().query().catch(() => {});
  window.dakgQueryPage = { yasgui: yasgui, ready: true };
})();
