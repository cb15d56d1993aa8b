/* minutes-qa web page: the conversation (#/) and the document view (#/documents/{id}?start=&end=).
 *
 * Plain JavaScript, no build step, no external resources. Document text is only ever inserted
 * as text nodes (never innerHTML). Offsets from the API are Python string offsets (code points);
 * they are converted to JavaScript (UTF-16) offsets before slicing.
 */
"use strict";

(function () {
  // ------------------------------------------------------------------ interface text

  const STRINGS = {
    de: {
      appTitle: "Niederschriften-Assistent",
      appSubtitle: "Fragen an die Sitzungsniederschriften der Kreise und Ausschüsse",
      skipToQuestion: "Zum Eingabefeld springen",
      language: "Sprache",
      conversation: "Gespräch",
      filters: "Filter",
      filtersActive: (n) => `Filter (${n} aktiv)`,
      filterBody: "Körperschaft",
      filterCommittee: "Ausschuss",
      filterDateFrom: "Sitzung von",
      filterDateTo: "Sitzung bis",
      all: "Alle",
      resetFilters: "Filter zurücksetzen",
      dateOrder: "Das Datum „von“ liegt nach dem Datum „bis“.",
      emptyState: "Stellen Sie eine Frage zu den Niederschriften. Jede Antwort zeigt die Fundstelle im Originaltext.",
      questionLabel: "Ihre Frage",
      questionPlaceholder: "z. B. Wie viele Case-Management-Stellen sind besetzt?",
      ask: "Fragen",
      askHint: "Eingabetaste sendet. Folgefragen beziehen sich auf das bisherige Gespräch.",
      newConversation: "Neues Gespräch",
      emptyQuestion: "Bitte geben Sie eine Frage ein.",
      searching: "Suche in den Niederschriften …",
      answerReady: "Antwort erhalten.",
      noAnswerReady: "Keine Antwort gefunden.",
      question: "Frage",
      searchedFor: "Gesucht wurde nach:",
      filtersUsed: "Filter:",
      dateFromShort: (d) => `ab ${d}`,
      dateToShort: (d) => `bis ${d}`,
      answer: "Antwort",
      source: "Quelle",
      showInDocument: "im Dokument anzeigen",
      moreAnswers: (n) => `Weitere mögliche Antworten (${n})`,
      alsoIn: "Derselbe Text steht auch in:",
      references: "Verweise",
      paper: "Vorlage",
      passagesFound: (n) => `Gefundene Textstellen (${n})`,
      noAnswer: "Keine Antwort in den Niederschriften gefunden.",
      closestPassages: "Die nächstgelegenen Textstellen:",
      noPassages: "Es wurden auch keine passenden Textstellen gefunden.",
      sessionRestarted: "Das vorherige Gespräch war abgelaufen; diese Frage wurde ohne den bisherigen Zusammenhang beantwortet.",
      requestFailed: "Die Anfrage ist fehlgeschlagen.",
      networkError: "Der Server ist nicht erreichbar.",
      agendaItem: "TOP",
      agendaItems: "Tagesordnungspunkte",
      backToConversation: "Zurück zum Gespräch",
      escHint: "Esc: zurück",
      loadingDocument: "Dokument wird geladen …",
      documentNotFound: "Dieses Dokument wurde nicht gefunden.",
      jumpToHighlight: "Zur markierten Stelle",
      highlighted: "markierte Fundstelle",
      meetingNumber: (n) => `${n}. Sitzung`,
      kinds: {
        niederschrift: "Niederschrift", bericht: "Bericht", mitteilungsvorlage: "Mitteilungsvorlage",
        "niederschrift-auszug": "Auszug aus einer Niederschrift", auszug: "Auszug aus einer Niederschrift",
        ergebnisprotokoll: "Ergebnisprotokoll", beschlussvorlage: "Beschlussvorlage", vorlage: "Vorlage",
        anlage: "Anlage",
      },
    },
    en: {
      appTitle: "Minutes assistant",
      appSubtitle: "Ask questions about the minutes of district councils and committees",
      skipToQuestion: "Skip to the question field",
      language: "Language",
      conversation: "Conversation",
      filters: "Filters",
      filtersActive: (n) => `Filters (${n} active)`,
      filterBody: "Council",
      filterCommittee: "Committee",
      filterDateFrom: "Meeting from",
      filterDateTo: "Meeting until",
      all: "All",
      resetFilters: "Clear filters",
      dateOrder: "The “from” date is after the “until” date.",
      emptyState: "Ask a question about the minutes. Every answer shows where it stands in the original text.",
      questionLabel: "Your question",
      questionPlaceholder: "e.g. How many case management posts are filled?",
      ask: "Ask",
      askHint: "Press Enter to send. Follow-up questions refer to the conversation so far.",
      newConversation: "New conversation",
      emptyQuestion: "Please enter a question.",
      searching: "Searching the minutes …",
      answerReady: "Answer received.",
      noAnswerReady: "No answer found.",
      question: "Question",
      searchedFor: "Searched for:",
      filtersUsed: "Filters:",
      dateFromShort: (d) => `from ${d}`,
      dateToShort: (d) => `until ${d}`,
      answer: "Answer",
      source: "Source",
      showInDocument: "show in the document",
      moreAnswers: (n) => `Other possible answers (${n})`,
      alsoIn: "The same text also appears in:",
      references: "References",
      paper: "paper",
      passagesFound: (n) => `Passages found (${n})`,
      noAnswer: "No answer found in the minutes.",
      closestPassages: "The closest passages:",
      noPassages: "No matching passages were found either.",
      sessionRestarted: "The previous conversation had expired; this question was answered without its context.",
      requestFailed: "The request failed.",
      networkError: "The server cannot be reached.",
      agendaItem: "Item",
      agendaItems: "Agenda items",
      backToConversation: "Back to the conversation",
      escHint: "Esc: back",
      loadingDocument: "Loading the document …",
      documentNotFound: "This document was not found.",
      jumpToHighlight: "Go to the highlighted passage",
      highlighted: "highlighted passage",
      meetingNumber: (n) => `meeting no. ${n}`,
      kinds: {
        niederschrift: "Minutes", bericht: "Report", mitteilungsvorlage: "Information memo",
        "niederschrift-auszug": "Extract from minutes", auszug: "Extract from minutes",
        ergebnisprotokoll: "Summary minutes", beschlussvorlage: "Draft resolution", vorlage: "Paper",
        anlage: "Attachment",
      },
    },
  };

  const LANG_KEY = "minutes-qa.lang";
  const STATE_KEY = "minutes-qa.conversation";
  const MAX_STORED_TURNS = 30;
  const ASK_TIMEOUT_MS = 120000;

  const state = {
    lang: "de",
    sessionId: null,
    turns: [], // {question, filters, result, error}
    documents: [], // GET /documents listing
    documentsById: new Map(),
    docCache: new Map(),
    pending: false,
    view: null, // "chat" | "document"
    chatScrollY: 0,
    returnFocus: null,
    cameFromChat: false,
    routeToken: 0,
  };

  const $ = (id) => document.getElementById(id);

  function t(key, ...args) {
    const value = key in STRINGS[state.lang] ? STRINGS[state.lang][key] : STRINGS.de[key];
    return typeof value === "function" ? value(...args) : value;
  }

  // ------------------------------------------------------------------ DOM helpers

  /** An element with attributes and children; strings become text nodes (never parsed as HTML). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  /** Maps Python (code point) offsets into `text` to JavaScript (UTF-16) offsets. */
  function offsetMap(text) {
    if (!/[\uD800-\uDBFF]/.test(text)) {
      return (i) => Math.max(0, Math.min(i, text.length));
    }
    const positions = [];
    let unit = 0;
    for (const ch of text) {
      positions.push(unit);
      unit += ch.length;
    }
    positions.push(unit);
    return (i) => positions[Math.max(0, Math.min(i, positions.length - 1))];
  }

  /** Appends text[from, to) to parent, wrapping its overlap with [markFrom, markTo) in <mark>
   *  (all UTF-16 offsets into `text`); returns the <mark> or null. */
  function appendRange(parent, text, from, to, markFrom, markTo) {
    const a = Math.max(from, Math.min(markFrom, to));
    const b = Math.min(to, Math.max(markTo, from));
    if (markFrom === null || !(a < b)) {
      parent.append(document.createTextNode(text.slice(from, to)));
      return null;
    }
    if (from < a) parent.append(document.createTextNode(text.slice(from, a)));
    const mark = el("mark", {}, text.slice(a, b));
    parent.append(mark);
    if (b < to) parent.append(document.createTextNode(text.slice(b, to)));
    return mark;
  }

  // ------------------------------------------------------------------ formatting

  function formatIsoDate(iso) {
    const [y, m, d] = iso.split("-").map(Number);
    const options = state.lang === "de"
      ? { day: "2-digit", month: "2-digit", year: "numeric", timeZone: "UTC" }
      : { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" };
    return new Intl.DateTimeFormat(state.lang === "de" ? "de-DE" : "en-GB", options)
      .format(new Date(Date.UTC(y, m - 1, d)));
  }

  function meetingDate(meeting) {
    if (meeting && meeting.date) return formatIsoDate(meeting.date);
    if (meeting && meeting.year) return String(meeting.year);
    return null;
  }

  function itemLabel(item) {
    if (!item) return null;
    const paper = item.paper_reference ? ` (${t("paper")} ${item.paper_reference})` : "";
    if (item.number && item.title) return `${t("agendaItem")} ${item.number}: ${item.title}${paper}`;
    if (item.number) return `${t("agendaItem")} ${item.number}${paper}`;
    return item.title ? `${item.title}${paper}` : (paper.trim() || null);
  }

  /** "Verweise: Vorlage 0135/2020 → Radverkehrskonzept 2030", each linking to its target. */
  function referencesLine(references) {
    const linked = (references || []).filter((r) => r.target);
    if (!linked.length) return null;
    const line = el("p", { class: "references-line" },
      el("span", { class: "cite-label" }, `${t("references")}: `));
    linked.forEach((reference, i) => {
      const target = reference.target;
      if (i) line.append(el("span", { class: "sep", "aria-hidden": "true" }, " · "));
      line.append(el("a", {
        class: "reference",
        href: docHref(target.document_id, { start: target.start, end: target.end }),
        "data-document-id": target.document_id,
      }, `${reference.text} → ${itemLabel(target) || target.document_id}`));
    });
    return line;
  }

  function docHref(documentId, params) {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(params || {})) {
      if (value !== null && value !== undefined) query.set(key, String(value));
    }
    const suffix = query.toString();
    return `#/documents/${encodeURIComponent(documentId)}${suffix ? "?" + suffix : ""}`;
  }

  /** The citation line: body · committee · date · agenda item, linking to the document view. */
  function citation(meeting, item, documentId, start, end, compact) {
    const doc = state.documentsById.get(documentId);
    const parts = (compact ? [
      ["kind", doc && t("kinds")[doc.kind]],
      ["item", itemLabel(item)],
    ] : [
      ["body", meeting && meeting.body],
      ["committee", meeting && meeting.committee],
      ["date", meetingDate(meeting)],
      ["item", itemLabel(item)],
    ]).filter(([, text]) => text);
    const link = el("a", {
      class: "citation",
      href: docHref(documentId, { start, end }),
      "data-document-id": documentId,
    });
    parts.forEach(([cls, text], i) => {
      if (i) link.append(el("span", { class: "sep", "aria-hidden": "true" }, " · "));
      link.append(el("span", { class: `cite-${cls}` }, text));
    });
    link.append(el("span", { class: "visually-hidden" }, ` (${t("showInDocument")})`));
    return el("p", { class: "citation-line" },
      el("span", { class: "cite-label" }, `${t("source")}: `), link);
  }

  // ------------------------------------------------------------------ conversation rendering

  function filterSummary(filters) {
    if (!filters) return [];
    const parts = [];
    if (filters.body) parts.push(filters.body);
    if (filters.committee) parts.push(filters.committee);
    if (filters.date_from) parts.push(t("dateFromShort", formatIsoDate(filters.date_from)));
    if (filters.date_to) parts.push(t("dateToShort", formatIsoDate(filters.date_to)));
    return parts;
  }

  function sameText(a, b) {
    return a.trim().replace(/\s+/g, " ").toLowerCase() === b.trim().replace(/\s+/g, " ").toLowerCase();
  }

  function renderQuestion(turn, index) {
    const headingId = `turn-${index}-question`;
    const box = el("div", { class: "question-box" },
      el("h3", { class: "question", id: headingId },
        el("span", { class: "visually-hidden" }, `${t("question")}: `), turn.question));
    const result = turn.result;
    if (result && result.query && !sameText(result.query, turn.question)) {
      box.append(el("p", { class: "resolved-query" },
        el("span", { class: "label" }, `${t("searchedFor")} `), el("q", { lang: "de" }, result.query)));
    }
    const used = filterSummary(turn.filters);
    if (used.length) {
      box.append(el("p", { class: "turn-filters" }, `${t("filtersUsed")} ${used.join(" · ")}`));
    }
    return box;
  }

  function renderAnswer(answer, main) {
    const context = el("blockquote", { class: "answer-context", lang: "de" });
    const map = offsetMap(answer.context);
    appendRange(context, answer.context, 0, answer.context.length,
      map(answer.start - answer.context_start), map(answer.end - answer.context_start));
    const node = el(main ? "div" : "li", { class: main ? "answer answer-main" : "answer" },
      context,
      citation(answer.meeting, answer.agenda_item, answer.document_id, answer.start, answer.end));
    const references = referencesLine(answer.references);
    if (references) node.append(references);
    const copies = answer.also_in || [];
    if (copies.length) {
      const list = el("ul", { class: "also-in" });
      for (const copy of copies) {
        // The same meeting needs no second full citation: say which document and item.
        const doc = state.documentsById.get(copy.document_id);
        const meeting = doc ? doc.meeting : null;
        const compact = Boolean(meeting && meeting.body === answer.meeting.body
          && meeting.date === answer.meeting.date && meeting.year === answer.meeting.year);
        list.append(el("li", {}, citation(meeting, copy.agenda_item, copy.document_id,
          copy.start, copy.end, compact)));
      }
      node.append(el("div", { class: "also-in-box" }, el("p", { class: "also-in-label" }, t("alsoIn")), list));
    }
    return node;
  }

  function renderPassage(passage) {
    const node = el("li", { class: "passage" },
      el("blockquote", { class: "passage-text", lang: "de" }, passage.text),
      citation(passage.meeting, passage.agenda_item, passage.document_id, passage.start, passage.end));
    const references = referencesLine(passage.references);
    if (references) node.append(references);
    return node;
  }

  function renderReply(turn) {
    const reply = el("section", { class: "reply", "aria-label": t("answer") });
    if (turn.error) {
      reply.classList.add("reply-error");
      reply.append(el("p", { class: "error", role: "alert" }, turn.error));
      return reply;
    }
    const result = turn.result;
    if (turn.sessionRestarted) reply.append(el("p", { class: "note" }, t("sessionRestarted")));
    const passages = result.passages || [];
    if (result.abstained || !result.answers.length) {
      reply.classList.add("reply-abstained");
      reply.append(el("p", { class: "no-answer" }, t("noAnswer")));
      if (passages.length) {
        reply.append(el("p", { class: "closest-label" }, t("closestPassages")),
          el("ol", { class: "passages closest" }, passages.map(renderPassage)));
      } else {
        reply.append(el("p", { class: "hint" }, t("noPassages")));
      }
      return reply;
    }
    reply.append(renderAnswer(result.answers[0], true));
    const others = result.answers.slice(1);
    if (others.length) {
      reply.append(el("details", { class: "more" },
        el("summary", {}, t("moreAnswers", others.length)),
        el("ol", { class: "answers" }, others.map((a) => renderAnswer(a, false)))));
    }
    if (passages.length) {
      reply.append(el("details", { class: "more" },
        el("summary", {}, t("passagesFound", passages.length)),
        el("ol", { class: "passages" }, passages.map(renderPassage))));
    }
    return reply;
  }

  function renderTurn(turn, index) {
    const article = el("article", { class: "turn", "aria-labelledby": `turn-${index}-question`,
      "data-turn": index });
    article.append(renderQuestion(turn, index));
    if (turn.result || turn.error) article.append(renderReply(turn));
    return article;
  }

  function renderConversation() {
    const log = $("conversation");
    log.removeAttribute("aria-live"); // a re-render (language switch) is not news
    log.replaceChildren(...state.turns.map(renderTurn));
    $("empty-state").hidden = state.turns.length > 0;
    requestAnimationFrame(() => log.setAttribute("aria-live", "polite"));
  }

  // ------------------------------------------------------------------ persistence

  function saveConversation() {
    try {
      const turns = state.turns.slice(-MAX_STORED_TURNS).filter((turn) => turn.result || turn.error);
      sessionStorage.setItem(STATE_KEY, JSON.stringify({ sessionId: state.sessionId, turns,
        filters: readFilters() }));
    } catch (_) { /* storage full or disabled: the conversation still works in memory */ }
  }

  function loadConversation() {
    try {
      const saved = JSON.parse(sessionStorage.getItem(STATE_KEY) || "null");
      if (saved && Array.isArray(saved.turns)) {
        state.sessionId = saved.sessionId || null;
        state.turns = saved.turns;
        return saved.filters || null;
      }
    } catch (_) { /* ignore a broken entry */ }
    return null;
  }

  // ------------------------------------------------------------------ API

  class ApiError extends Error {}

  async function api(path, options) {
    const init = Object.assign({ headers: { Accept: "application/json" } }, options || {});
    if (init.body) init.headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(path, init);
    } catch (error) {
      if (error && error.name === "AbortError") throw new ApiError(t("networkError"));
      throw new ApiError(t("networkError"));
    }
    let body = null;
    try {
      body = await response.json();
    } catch (_) { /* not JSON */ }
    if (!response.ok) {
      const error = new ApiError(body && body.error && body.error.message
        ? `${t("requestFailed")} (${body.error.message})` : t("requestFailed"));
      error.status = response.status;
      throw error;
    }
    return body;
  }

  // ------------------------------------------------------------------ filters

  function readFilters() {
    const filters = {
      body: $("filter-body").value || null,
      committee: $("filter-committee").value || null,
      date_from: $("filter-date-from").value || null,
      date_to: $("filter-date-to").value || null,
    };
    for (const key of Object.keys(filters)) if (!filters[key]) delete filters[key];
    return filters;
  }

  function fillSelect(select, values, keep) {
    const allOption = el("option", { value: "", "data-i18n": "all" }, t("all"));
    select.replaceChildren(allOption, ...values.map((v) => el("option", { value: v }, v)));
    select.value = values.includes(keep) ? keep : "";
  }

  function updateCommitteeOptions() {
    const body = $("filter-body").value;
    const committees = new Set();
    for (const doc of state.documents) {
      if (doc.meeting.committee && (!body || doc.meeting.body === body)) committees.add(doc.meeting.committee);
    }
    const select = $("filter-committee");
    fillSelect(select, [...committees].sort((a, b) => a.localeCompare(b, "de")), select.value);
  }

  function updateFilterState() {
    const filters = readFilters();
    const count = Object.keys(filters).length;
    $("filters-summary").textContent = count ? t("filtersActive", count) : t("filters");
    const invalid = filters.date_from && filters.date_to && filters.date_from > filters.date_to;
    const error = $("filter-error");
    error.hidden = !invalid;
    error.textContent = invalid ? t("dateOrder") : "";
    $("filter-date-to").setAttribute("aria-invalid", invalid ? "true" : "false");
    return !invalid;
  }

  async function loadDocuments(savedFilters) {
    try {
      const listing = await api("documents");
      state.documents = listing.documents || [];
    } catch (_) {
      state.documents = [];
    }
    state.documentsById = new Map(state.documents.map((d) => [d.id, d]));
    const bodies = [...new Set(state.documents.map((d) => d.meeting.body).filter(Boolean))]
      .sort((a, b) => a.localeCompare(b, "de"));
    fillSelect($("filter-body"), bodies, savedFilters && savedFilters.body);
    updateCommitteeOptions();
    if (savedFilters) {
      if (savedFilters.committee) $("filter-committee").value = savedFilters.committee;
      $("filter-date-from").value = savedFilters.date_from || "";
      $("filter-date-to").value = savedFilters.date_to || "";
      if (Object.keys(readFilters()).length) $("filters").open = true;
    }
    updateFilterState();
  }

  // ------------------------------------------------------------------ asking

  /** The status line is read by screen readers; it is shown only when it asks for something. */
  function setStatus(text, visible) {
    const status = $("status");
    status.textContent = text || "";
    status.classList.toggle("visually-hidden", !visible);
  }

  async function ask(question) {
    if (state.pending) return;
    if (!question.trim()) {
      setStatus(t("emptyQuestion"), true);
      $("question").focus();
      return;
    }
    if (!updateFilterState()) {
      $("filters").open = true;
      $("filter-date-to").focus();
      return;
    }
    const filters = readFilters();
    const turn = { question: question.trim(), filters, result: null, error: null };
    const index = state.turns.push(turn) - 1;
    const article = renderTurn(turn, index);
    article.classList.add("pending");
    $("empty-state").hidden = true;
    $("conversation").append(article);
    article.scrollIntoView({ block: "nearest" });

    state.pending = true;
    $("ask-button").disabled = true;
    $("question").value = "";
    $("question").setAttribute("aria-busy", "true");
    setStatus(t("searching"));

    const payload = { question: turn.question };
    if (state.sessionId) payload.session_id = state.sessionId;
    if (Object.keys(filters).length) payload.filters = filters;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), ASK_TIMEOUT_MS);
    try {
      const result = await api("ask", { method: "POST", body: JSON.stringify(payload),
        signal: controller.signal });
      turn.sessionRestarted = Boolean(state.sessionId && result.session_id !== state.sessionId);
      state.sessionId = result.session_id;
      turn.result = result;
    } catch (error) {
      turn.error = error.message || t("requestFailed");
      $("question").value = turn.question; // to send it again
    } finally {
      clearTimeout(timer);
    }

    // The question box may change (resolved query); the reply is appended as a new node, which
    // the log (aria-live) announces.
    article.replaceChild(renderQuestion(turn, index), article.firstChild);
    article.classList.remove("pending");
    article.append(renderReply(turn));
    state.pending = false;
    $("ask-button").disabled = false;
    $("question").removeAttribute("aria-busy");
    setStatus(turn.error ? "" : (turn.result.abstained ? t("noAnswerReady") : t("answerReady")));
    saveConversation();
    article.scrollIntoView({ block: "start" });
    // Focus stays in (or returns to) the question field, ready for a follow-up, unless the user
    // has moved on to something else meanwhile.
    const active = document.activeElement;
    if (state.view === "chat" && (!active || active === document.body || $("ask-form").contains(active))) {
      $("question").focus({ preventScroll: true });
    }
  }

  function newConversation() {
    state.turns = [];
    state.sessionId = null;
    renderConversation();
    setStatus("");
    saveConversation();
    $("question").focus();
  }

  // ------------------------------------------------------------------ document view

  function renderDocument(doc, params) {
    const text = doc.text;
    const map = offsetMap(text);
    const start = Number.parseInt(params.get("start"), 10);
    const end = Number.parseInt(params.get("end"), 10);
    const hasSpan = Number.isFinite(start) && Number.isFinite(end) && start < end;
    const markFrom = hasSpan ? map(start) : null;
    const markTo = hasSpan ? map(end) : null;
    const targetItem = params.get("item");

    const header = el("header", { class: "doc-header" },
      el("h2", { id: "doc-title", tabindex: "-1" }, doc.title || doc.id));
    const kinds = t("kinds");
    const meta = [doc.meeting.body, doc.meeting.committee,
      doc.meeting.number ? t("meetingNumber", doc.meeting.number) : null, meetingDate(doc.meeting),
      kinds[doc.kind] || null].filter(Boolean);
    header.append(el("p", { class: "doc-meta" }, meta.join(" · ")));

    const body = el("div", { class: "doc-body", lang: "de" });
    const items = (doc.agenda_items || []).slice().sort((a, b) => a.start - b.start);
    const numbered = items.filter((item) => item.kind === "item");
    const toc = el("ol", { class: "toc-list" });
    let firstMark = null;
    let pos = 0;
    const keep = (mark) => { if (mark && !firstMark) firstMark = mark; };
    items.forEach((item, i) => {
      const from = map(item.start);
      const to = map(item.end);
      if (from < pos) return; // overlapping sections: keep the first
      if (pos < from) keep(appendGap(body, text, pos, from, markFrom, markTo));
      const anchor = `item-${i}`;
      const section = el("section", { class: `doc-item kind-${item.kind}`, id: anchor, tabindex: "-1",
        "data-number": item.number || "" });
      if (item.kind === "item" && (item.number || item.title)) {
        section.setAttribute("aria-label", itemLabel(item));
        section.append(el("p", { class: "item-badge", "aria-hidden": "true" },
          item.number ? `${t("agendaItem")} ${item.number}` : t("agendaItem")));
      }
      const inner = el("div", { class: "doc-text" });
      keep(appendRange(inner, text, from, to, markFrom, markTo));
      section.append(inner);
      body.append(section);
      if (item.kind === "item") {
        const current = hasSpan && markFrom < to && markTo > from;
        toc.append(el("li", {}, el("a", {
          href: docHref(doc.id, { start: hasSpan ? start : null, end: hasSpan ? end : null, item: i }),
          "data-target": anchor, "aria-current": current ? "location" : null,
        }, itemLabel(item) || anchor)));
      }
      pos = to;
    });
    if (pos < text.length) keep(appendGap(body, text, pos, text.length, markFrom, markTo));
    // Loose text (before, between, after sections) keeps its line breaks too.
    for (const node of [...body.childNodes]) {
      if (node.nodeType === Node.TEXT_NODE || node.nodeName === "MARK") {
        const wrapper = el("div", { class: "doc-text" });
        body.insertBefore(wrapper, node);
        wrapper.append(node);
      }
    }
    mergeAdjacentTextBlocks(body);

    if (firstMark) {
      firstMark.id = "hit";
      firstMark.setAttribute("tabindex", "-1");
      firstMark.setAttribute("aria-label", `${t("highlighted")}: ${text.slice(markFrom, markTo)}`);
      header.append(el("p", {}, el("button", { type: "button", class: "secondary", id: "jump-to-hit",
        onclick: () => focusTarget(document.getElementById("hit")) }, t("jumpToHighlight"))));
    }
    const parts = [header];
    if (numbered.length) {
      const details = el("details", { class: "toc" }, el("summary", {}, t("agendaItems")),
        el("nav", { "aria-label": t("agendaItems") }, toc));
      if (window.matchMedia("(min-width: 60rem)").matches) details.open = true;
      parts.push(details);
    }
    parts.push(body);
    $("doc-content").replaceChildren(...parts);
    document.title = `${doc.title || doc.id} – ${t("appTitle")}`;

    let target = firstMark;
    if (targetItem !== null && document.getElementById(`item-${targetItem}`)) {
      target = document.getElementById(`item-${targetItem}`);
    }
    if (target) focusTarget(target);
    else $("doc-title").focus();
  }

  /** Text between sections: dropped when it is only white space (the sections are blocks). */
  function appendGap(body, text, from, to, markFrom, markTo) {
    const overlapsMark = markFrom !== null && markFrom < to && markTo > from;
    if (!overlapsMark && !text.slice(from, to).trim()) return null;
    return appendRange(body, text, from, to, markFrom, markTo);
  }

  /** Consecutive loose text wrappers become one block (a mark between two text runs). */
  function mergeAdjacentTextBlocks(body) {
    let previous = null;
    for (const node of [...body.children]) {
      if (node.classList.contains("doc-text") && previous && previous.classList.contains("doc-text")) {
        previous.append(...node.childNodes);
        node.remove();
      } else {
        previous = node;
      }
    }
  }

  function focusTarget(target) {
    target.scrollIntoView({ block: "center" });
    target.focus({ preventScroll: true });
  }

  async function showDocument(documentId, params) {
    const token = ++state.routeToken;
    const content = $("doc-content");
    let doc = state.docCache.get(documentId);
    if (!doc) {
      content.replaceChildren(el("p", { class: "status", role: "status" }, t("loadingDocument")));
      try {
        doc = await api(`documents/${encodeURIComponent(documentId)}`);
        state.docCache.set(documentId, doc);
      } catch (error) {
        if (token !== state.routeToken) return;
        content.replaceChildren(el("h2", { id: "doc-title", tabindex: "-1" },
          error.status === 404 ? t("documentNotFound") : error.message));
        $("doc-title").focus();
        return;
      }
    }
    if (token !== state.routeToken) return;
    renderDocument(doc, params);
  }

  // ------------------------------------------------------------------ routing

  function parseRoute() {
    const hash = location.hash || "";
    const match = /^#\/documents\/([^?]+)(?:\?(.*))?$/.exec(hash);
    if (match) {
      let id;
      try { id = decodeURIComponent(match[1]); } catch (_) { id = match[1]; }
      return { view: "document", id, params: new URLSearchParams(match[2] || "") };
    }
    return { view: "chat" };
  }

  function showView(view) {
    if (state.view === "chat" && view !== "chat") {
      state.chatScrollY = window.scrollY;
      state.returnFocus = document.activeElement;
    }
    $("chat-view").hidden = view !== "chat";
    $("doc-view").hidden = view !== "document";
    document.body.dataset.view = view;
    const previous = state.view;
    state.view = view;
    return previous;
  }

  function route() {
    const target = parseRoute();
    if (target.view === "document") {
      const previous = showView("document");
      if (previous === "chat") state.cameFromChat = true;
      else if (previous === null) state.cameFromChat = false;
      showDocument(target.id, target.params);
      return;
    }
    const previous = showView("chat");
    state.routeToken++;
    document.title = t("appTitle");
    if (previous === "document") {
      window.scrollTo(0, state.chatScrollY);
      const focus = state.returnFocus;
      if (focus && document.contains(focus) && focus !== document.body) focus.focus({ preventScroll: true });
      else $("question").focus({ preventScroll: true });
    }
  }

  function backToConversation() {
    if (state.cameFromChat) {
      state.cameFromChat = false;
      history.back();
    } else {
      location.hash = "#/";
    }
  }

  // ------------------------------------------------------------------ language

  function applyLanguage(lang) {
    state.lang = STRINGS[lang] ? lang : "de";
    document.documentElement.lang = state.lang;
    for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
    for (const node of document.querySelectorAll("[data-i18n-placeholder]")) {
      node.placeholder = t(node.dataset.i18nPlaceholder);
    }
    for (const node of document.querySelectorAll("[data-i18n-aria-label]")) {
      node.setAttribute("aria-label", t(node.dataset.i18nAriaLabel));
    }
    for (const button of document.querySelectorAll("[data-lang]")) {
      button.setAttribute("aria-pressed", String(button.dataset.lang === state.lang));
    }
    updateFilterState();
  }

  function setLanguage(lang) {
    applyLanguage(lang);
    setStatus("");
    try { localStorage.setItem(LANG_KEY, state.lang); } catch (_) { /* private mode */ }
    renderConversation();
    if (state.view === "document") {
      const target = parseRoute();
      const doc = state.docCache.get(target.id);
      if (doc) renderDocument(doc, target.params);
    } else {
      document.title = t("appTitle");
    }
  }

  function initialLanguage() {
    try {
      const saved = localStorage.getItem(LANG_KEY);
      if (saved && STRINGS[saved]) return saved;
    } catch (_) { /* private mode */ }
    return "de";
  }

  // ------------------------------------------------------------------ start

  function init() {
    applyLanguage(initialLanguage());
    const savedFilters = loadConversation();
    renderConversation();
    loadDocuments(savedFilters);

    $("ask-form").addEventListener("submit", (event) => {
      event.preventDefault();
      ask($("question").value);
    });
    $("new-conversation").addEventListener("click", newConversation);
    $("filter-body").addEventListener("change", () => { updateCommitteeOptions(); updateFilterState(); saveConversation(); });
    for (const id of ["filter-committee", "filter-date-from", "filter-date-to"]) {
      $(id).addEventListener("change", () => { updateFilterState(); saveConversation(); });
    }
    $("reset-filters").addEventListener("click", () => {
      $("filter-body").value = "";
      updateCommitteeOptions();
      $("filter-committee").value = "";
      $("filter-date-from").value = "";
      $("filter-date-to").value = "";
      updateFilterState();
      saveConversation();
      $("filter-body").focus();
    });
    for (const button of document.querySelectorAll("[data-lang]")) {
      button.addEventListener("click", () => setLanguage(button.dataset.lang));
    }
    $("back-link").addEventListener("click", (event) => {
      event.preventDefault();
      backToConversation();
    });
    $("skip-link").addEventListener("click", (event) => {
      event.preventDefault();
      if (state.view !== "chat") location.hash = "#/";
      $("question").focus();
    });
    $("doc-content").addEventListener("click", (event) => {
      const link = event.target.closest("a[data-target]");
      if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
      const target = document.getElementById(link.dataset.target);
      if (!target) return;
      event.preventDefault();
      history.replaceState(null, "", link.getAttribute("href"));
      focusTarget(target);
    });
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && state.view === "document" && !event.defaultPrevented) {
        event.preventDefault();
        backToConversation();
      }
    });
    window.addEventListener("hashchange", route);
    route();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
