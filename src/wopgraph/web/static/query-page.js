/* The query page (templates/sparql.html): puts the vendored YASQE editor over the plain form,
   loads canned queries into it, runs queries on this server's /sparql, shows the results as a
   table with linked IRIs, and links them for download in every format.

   Everything it needs is in the page's #query-page-config (see web/query_page.py). It requests
   nothing but this server's /sparql: no prefix.cc, no LOV, no CDN. Without it (or without
   JavaScript) the form still posts the query to /sparql. */
(function () {
  "use strict";

  var configElement = document.getElementById("query-page-config");
  var form = document.getElementById("query-form");
  if (!configElement || !form) return;
  var config = JSON.parse(configElement.textContent);
  var words = config.words;
  var textarea = document.getElementById("query");
  var results = document.getElementById("results");
  var statusLine = document.getElementById("results-status");
  var downloads = document.getElementById("results-downloads");
  var tableBox = document.getElementById("results-table");
  var librarySelect = document.getElementById("library-select");
  var libraryDescription = document.getElementById("library-description");
  var byName = {};
  config.library.forEach(function (q) { byName[q.name] = q; });

  /* Longest URL the server reads (gunicorn's request line); longer queries are POSTed. */
  var MAX_URL = 8000;
  var XSD = "http://www.w3.org/2001/XMLSchema#";
  var NUMERIC = ["integer", "decimal", "double", "float", "long", "int", "nonNegativeInteger"];
  var editor = null;

  function el(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (k) { node.setAttribute(k, attributes[k]); });
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function currentQuery() {
    return editor ? editor.getValue() : textarea.value;
  }

  function setQuery(text) {
    textarea.value = text;
    if (editor) editor.setValue(text);
  }

  /* ---- The editor ---------------------------------------------------------------------- */

  var termLists = {};

  /* The IRIs of the graph's properties or classes, fetched once from this server. */
  function graphTerms(kind) {
    if (!termLists[kind]) {
      var query = kind === "property"
        ? "SELECT DISTINCT ?t WHERE { ?s ?t ?o } ORDER BY ?t"
        : "SELECT DISTINCT ?t WHERE { ?s a ?t } ORDER BY ?t";
      termLists[kind] = sparql(query, "application/sparql-results+json")
        .then(function (r) { return r.ok ? r.json() : { results: { bindings: [] } }; })
        .then(function (data) {
          return data.results.bindings
            .filter(function (b) { return b.t && b.t.type === "uri"; })
            .map(function (b) { return b.t.value; });
        })
        .catch(function () { return []; });
    }
    return termLists[kind];
  }

  function completeFrom(kind) {
    return function (yasqe, token) {
      var start = (token && token.autocompletionString) || "";
      return graphTerms(kind).then(function (iris) {
        return iris.filter(function (iri) { return iri.indexOf(start) === 0; }).slice(0, 100);
      });
    };
  }

  function setUpEditor() {
    var Yasqe = window.Yasqe && (window.Yasqe.default || window.Yasqe);
    if (!Yasqe || !Yasqe.forkAutocompleter) return null;
    var prefixList = Object.keys(config.prefixes).sort().map(function (p) {
      return p + ": <" + config.prefixes[p] + ">";
    });
    // The same completers as YASQE's own, fed from this graph instead of prefix.cc and LOV.
    Yasqe.forkAutocompleter("prefixes", {
      name: "wop-prefixes", get: prefixList, persistenceId: null,
    }, false);
    Yasqe.forkAutocompleter("property", {
      name: "wop-properties", get: completeFrom("property"), persistenceId: null,
    }, false);
    Yasqe.forkAutocompleter("class", {
      name: "wop-classes", get: completeFrom("class"), persistenceId: null,
    }, false);
    var holder = el("div", { class: "editor" });
    textarea.parentNode.insertBefore(holder, textarea);
    var keys = Object.assign({}, Yasqe.defaults.extraKeys, {
      "Ctrl-Enter": function () { run(); },
      "Cmd-Enter": function () { run(); },
    });
    var yasqe = new Yasqe(holder, {
      value: textarea.value,
      persistenceId: null,
      consumeShareLink: null,
      createShareableLink: null,
      showQueryButton: false,
      resizeable: true,
      editorHeight: "22rem",
      prefixCcApi: null,
      autocompleters: ["wop-prefixes", "variables", "wop-properties", "wop-classes"],
      extraKeys: keys,
      screenReaderLabel: words["editor-label"],
      highlightSelectionMatches: { showToken: false },
      // Editable text inside the scrolling region: screen readers and keyboards reach it.
      inputStyle: "contenteditable",
      requestConfig: { endpoint: config.endpoint, method: "POST" },
    });
    yasqe.on("change", function () { textarea.value = yasqe.getValue(); });
    textarea.hidden = true;
    var label = document.querySelector("label[for='query']");
    if (label) {
      label.removeAttribute("for");
      label.id = "query-label";
      label.addEventListener("click", function () { yasqe.focus(); });
    }
    return yasqe;
  }

  /* ---- Running a query ------------------------------------------------------------------- */

  function sparql(query, accept) {
    return fetch(config.endpoint, {
      method: "POST",
      headers: { "Accept": accept, "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ query: query }).toString(),
    });
  }

  function run() {
    var query = currentQuery();
    textarea.value = query;
    results.hidden = false;
    results.setAttribute("aria-busy", "true");
    statusLine.className = "status";
    statusLine.textContent = words.running;
    downloads.replaceChildren();
    tableBox.replaceChildren();
    var started = performance.now();
    return sparql(query, "application/sparql-results+json, application/n-triples;q=0.9")
      .then(function (response) {
        return response.text().then(function (text) {
          var seconds = ((performance.now() - started) / 1000).toFixed(2);
          if (!response.ok) return showError(text || response.statusText);
          var type = (response.headers.get("Content-Type") || "").split(";")[0].trim();
          var truncated = response.headers.get("X-WOPgraph-Truncated") === "true";
          if (type === "application/sparql-results+json") {
            showResults(JSON.parse(text), truncated, seconds, query);
          } else {
            showTriples(parseNTriples(text), truncated, seconds, query);
          }
        });
      })
      .catch(function (error) { showError(String(error)); })
      .finally(function () {
        results.removeAttribute("aria-busy");
        if (results.getBoundingClientRect().top > window.innerHeight * 0.6) {
          results.scrollIntoView({ behavior: "smooth", block: "start" });
        }
      });
  }

  function showError(message) {
    statusLine.className = "status error";
    statusLine.textContent = words.error + ": " + message.trim();
  }

  function countText(n, truncated, seconds, noun) {
    var text = n + " " + noun + " (" + seconds + " s)";
    return truncated ? text + " · " + words.truncated : text;
  }

  function showResults(data, truncated, seconds, query) {
    downloadLinks(query, "results");
    if ("boolean" in data) {
      statusLine.textContent = "ASK (" + seconds + " s)";
      tableBox.append(el("p", { class: "boolean" }, data.boolean ? words.yes : words.no));
      return;
    }
    var rows = data.results.bindings;
    statusLine.textContent = countText(
      rows.length, truncated, seconds, rows.length === 1 ? words.row : words.rows);
    renderTable(data.head.vars, data.head.vars, rows, query);
  }

  function showTriples(triples, truncated, seconds, query) {
    downloadLinks(query, "graphs");
    statusLine.textContent = countText(triples.length, truncated, seconds, words.triples);
    var names = ["subject", "predicate", "object"];
    var headers = [words.subject, words.predicate, words.object];
    renderTable(names, headers, triples, query);
  }

  /* ---- The results table ----------------------------------------------------------------- */

  function prefixesFor(query) {
    var prefixes = Object.assign({}, config.prefixes);
    var declared = /PREFIX\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>/gi;
    var m;
    while ((m = declared.exec(query)) !== null) prefixes[m[1] || ""] = m[2];
    return prefixes;
  }

  function shorten(iri, prefixes) {
    var best = null;
    Object.keys(prefixes).forEach(function (p) {
      var ns = prefixes[p];
      var local = iri.slice(ns.length);
      if (ns && iri.indexOf(ns) === 0 && /^[A-Za-z0-9_][A-Za-z0-9_./-]*$/.test(local)) {
        if (!best || ns.length > prefixes[best[0]].length) best = [p, local];
      }
    });
    return best ? best[0] + ":" + best[1] : "<" + iri + ">";
  }

  /* Where a link to an IRI goes: this server for the graph's own IRIs, else the IRI itself;
     only http(s) IRIs are links (never javascript: or other schemes). */
  function iriHref(iri) {
    if (iri.indexOf(config.base) === 0) return "/" + iri.slice(config.base.length);
    if (/^https?:\/\//i.test(iri)) return iri;
    return null;
  }

  function cell(term, prefixes) {
    var td = el("td");
    if (!term) return td;
    if (term.type === "uri") {
      var href = iriHref(term.value);
      var shown = shorten(term.value, prefixes);
      td.append(href ? el("a", { href: href, title: term.value }, shown)
                     : el("span", { class: "iri", title: term.value }, shown));
    } else if (term.type === "bnode") {
      td.append(el("span", { class: "bnode" }, "_:" + term.value));
    } else if (term.type === "literal" || term.type === "typed-literal") {
      var literal = el("span", { class: "literal" }, term.value);
      var lang = term["xml:lang"];
      if (lang) literal.setAttribute("lang", lang);
      td.append(literal);
      if (lang) td.append(" ", el("span", { class: "tag" }, "@" + lang));
      var datatype = term.datatype;
      var numeric = datatype && datatype.indexOf(XSD) === 0 &&
        NUMERIC.indexOf(datatype.slice(XSD.length)) >= 0;
      if (numeric) {
        td.className = "number";
        literal.title = datatype;
      } else if (datatype && datatype !== XSD + "string" && !lang) {
        td.append(" ", el("span", { class: "tag", title: datatype }, shorten(datatype, prefixes)));
      }
    } else if (term.type === "triple") {
      var parts = ["subject", "predicate", "object"].map(function (k) {
        var t = term.value[k];
        return t.type === "uri" ? shorten(t.value, prefixes) : JSON.stringify(t.value);
      });
      td.append(el("span", { class: "triple" }, "<< " + parts.join(" ") + " >>"));
    }
    return td;
  }

  function renderTable(names, headers, rows, query) {
    if (!rows.length) {
      tableBox.append(el("p", { class: "empty" }, words["no-rows"]));
      return;
    }
    var prefixes = prefixesFor(query);
    var table = el("table", { class: "results-table" });
    var head = el("tr");
    headers.forEach(function (h) { head.append(el("th", { scope: "col" }, h)); });
    var thead = el("thead");
    thead.append(head);
    table.append(thead);
    var body = el("tbody");
    rows.forEach(function (row) {
      var tr = el("tr");
      names.forEach(function (name) { tr.append(cell(row[name], prefixes)); });
      body.append(tr);
    });
    table.append(body);
    tableBox.setAttribute("tabindex", "0");
    tableBox.setAttribute("role", "region");
    tableBox.setAttribute("aria-label", words["results-table"]);
    tableBox.append(table);
  }

  /* ---- N-Triples (the answer to CONSTRUCT and DESCRIBE) ---------------------------------- */

  function unescape(text) {
    return text.replace(/\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))/g, function (_, u, U, c) {
      if (u || U) return String.fromCodePoint(parseInt(u || U, 16));
      return { t: "\t", b: "\b", n: "\n", r: "\r", f: "\f" }[c] || c;
    });
  }

  var NODE = "(?:<([^>]*)>|_:(\\S+))";
  var LITERAL = '"((?:[^"\\\\]|\\\\.)*)"(?:@([A-Za-z0-9-]+)|\\^\\^<([^>]*)>)?';
  var TRIPLE = new RegExp(
    "^\\s*" + NODE + "\\s+<([^>]*)>\\s+(?:" + NODE + "|" + LITERAL + ")\\s*\\.\\s*$");

  function node(iri, bnode) {
    return iri !== undefined ? { type: "uri", value: unescape(iri) }
                             : { type: "bnode", value: bnode };
  }

  function parseNTriples(text) {
    var triples = [];
    text.split("\n").forEach(function (line) {
      if (!line.trim() || line.trim()[0] === "#") return;
      var m = TRIPLE.exec(line);
      if (!m) {
        triples.push({ subject: { type: "literal", value: line } });
        return;
      }
      var object;
      if (m[4] !== undefined || m[5] !== undefined) object = node(m[4], m[5]);
      else {
        object = { type: "literal", value: unescape(m[6]) };
        if (m[7]) object["xml:lang"] = m[7];
        if (m[8]) object.datatype = unescape(m[8]);
      }
      triples.push({ subject: node(m[1], m[2]), predicate: node(m[3]), object: object });
    });
    return triples;
  }

  /* ---- Downloads and the permalink ------------------------------------------------------- */

  function postForm(query, format) {
    var post = el("form", { method: "post", action: config.endpoint, hidden: "" });
    post.append(el("input", { type: "hidden", name: "query", value: query }));
    post.append(el("input", { type: "hidden", name: "format", value: format }));
    document.body.append(post);
    post.submit();
    post.remove();
  }

  function downloadLinks(query, kind) {
    var list = el("ul");
    config.downloads[kind].forEach(function (fmt) {
      var url = config.endpoint + "?" + new URLSearchParams({ query: query, format: fmt.name });
      var item = el("li");
      if (url.length <= MAX_URL) {
        item.append(el("a", { href: url, download: "results." + fmt.extension }, fmt.label));
      } else {
        var button = el("button", { type: "button", class: "link-button" }, fmt.label);
        button.addEventListener("click", function () { postForm(query, fmt.name); });
        item.append(button);
      }
      list.append(item);
    });
    var page = location.pathname + "?" + new URLSearchParams({ edit: query });
    downloads.replaceChildren(el("span", { class: "label" }, words.download + ":"), list);
    if (page.length <= MAX_URL) {
      downloads.append(el("a", { href: page, class: "permalink" }, words.permalink));
    }
  }

  /* ---- The library ----------------------------------------------------------------------- */

  function load(name) {
    var q = byName[name];
    if (!q) return;
    setQuery(q.sparql);
    librarySelect.value = name;
    libraryDescription.textContent = q.description;
    if (editor) editor.focus();
  }

  /* ---- Wiring ---------------------------------------------------------------------------- */

  try {
    editor = setUpEditor();
  } catch (error) {
    editor = null;  // the plain textarea stays: the page still works
    if (window.console) console.warn("The SPARQL editor did not start:", error);
  }
  document.documentElement.classList.add("js");
  if (editor) document.documentElement.classList.add("editor-ready");
  document.querySelectorAll(".js-only, .library-picker").forEach(function (n) { n.hidden = false; });
  librarySelect.addEventListener("change", function () {
    if (librarySelect.value) load(librarySelect.value);
  });
  document.querySelectorAll("[data-load]").forEach(function (button) {
    button.addEventListener("click", function () {
      load(button.getAttribute("data-load"));
      form.scrollIntoView({ behavior: "smooth", block: "start" });
    });
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    run();
  });
})();
