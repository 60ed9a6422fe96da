// The review page: signs in with a bearer token (kept in sessionStorage), then talks to the JSON API.
// Routes live in the URL hash: #/review/<project>/<document> and #/dashboard/<project>.

const API = document.body.dataset.api;
const TOKEN_KEY = "autocoder-token";
const PAGE_SIZE = 1000; // the API's largest page of units
const RESAMPLES = 200; // bootstrap resamples for kappa's interval: enough for a dashboard, quick to compute
const AUDIT_ROWS = 50; // the latest admin actions shown on the dashboard; GET /audit pages through all
const $ = (id) => document.getElementById(id);

const state = {
  token: sessionStorage.getItem(TOKEN_KEY),
  me: null,
  projects: [],
  project: null,
  codebook: null, // {categories: Map id -> category, constructs: Map id -> {name, index}}
  documents: [],
  document: null,
  units: [],
  current: 0,
  undo: [], // {unitId} of the decisions made on this page, latest last
  conflicts: new Map(), // unit id -> {intent, theirs}: a decision the server refused because another came first
  saving: new Set(), // unit ids with a decision on its way
};

class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

async function call(path, { method = "GET", body, raw = false } = {}) {
  const headers = { Authorization: `Bearer ${state.token}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(API + path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.ok) return raw ? response : response.json();
  const data = await response.json().catch(() => ({}));
  if (response.status === 401 && state.me) signOut("Your token is no longer accepted: sign in again.");
  throw new ApiError(response.status, typeof data.detail === "string" ? data.detail : response.statusText, data);
}

// ---- small DOM helpers ------------------------------------------------------------------------------

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null && value !== false) node.setAttribute(name, value === true ? "" : value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

let sayTimer;

function say(message, error = false) {
  const status = $("status");
  status.textContent = message;
  status.classList.toggle("error", error);
  clearTimeout(sayTimer);
  if (!error) sayTimer = setTimeout(() => { status.textContent = ""; }, 8000); // errors stay until the next message
}

function announce(message) {
  $("announce").textContent = message;
}

const percent = (value) => `${(100 * value).toFixed(1)}%`;

// ---- the codebook -----------------------------------------------------------------------------------

function loadCodebook(raw) {
  const constructs = new Map((raw.constructs ?? []).map((c, index) => [c.id, { ...c, index }]));
  const categories = new Map(raw.categories.map((c, index) => [c.id, { ...c, index }]));
  // units are coloured by construct; in a codebook without constructs, by category
  const groups = constructs.size ? constructs : categories;
  return { raw, constructs, categories, groups };
}

function constructOf(code) {
  const category = code && state.codebook.categories.get(code);
  return category ? state.codebook.constructs.get(category.construct) : null;
}

function colourClass(code) {
  const group = state.codebook.constructs.size ? constructOf(code) : code && state.codebook.categories.get(code);
  return group ? `k${group.index % 6}` : "knone";
}

function categoryName(code) {
  if (code === "NONE") return "No category";
  return state.codebook.categories.get(code)?.name ?? code;
}

function codeLabel(code) {
  const construct = constructOf(code);
  return [
    el("span", {}, categoryName(code)),
    construct ? el("span", { class: `construct-tag ${colourClass(code)}` }, construct.name) : null,
  ];
}

function exampleText(example) {
  return typeof example === "string" ? example : `${example.text}${example.sample ? ` (${example.sample})` : ""}`;
}

function renderCodebook() {
  const body = $("codebook-body");
  body.replaceChildren();
  for (const construct of state.codebook.constructs.values()) {
    body.append(el("h3", { class: `k${construct.index % 6}` }, construct.name),
      el("p", { class: "meta" }, construct.definition || ""));
    for (const category of state.codebook.raw.categories.filter((c) => c.construct === construct.id)) {
      body.append(el("article", { id: `cb-${category.id}`, "aria-labelledby": `cb-${category.id}-name` },
        el("h4", { id: `cb-${category.id}-name` }, category.name),
        el("p", { class: "meta" }, el("code", {}, category.id), ` · ${construct.name}`),
        category.principle ? el("p", {}, el("strong", {}, "Principle: "), category.principle) : null,
        (category.examples || []).length
          ? el("ul", { "aria-label": "Examples" }, ...category.examples.map((e) => el("li", {}, exampleText(e))))
          : null));
    }
  }
}

function openCodebook() {
  if (!state.codebook) return;
  const dialog = $("codebook-dialog");
  for (const article of dialog.querySelectorAll("article.current")) article.classList.remove("current");
  const unit = currentUnit();
  const code = unit && (unit.code && unit.code !== "NONE" ? unit.code : unit.suggestion?.category);
  dialog.showModal();
  const article = code && $(`cb-${code}`);
  if (article) {
    article.classList.add("current");
    article.scrollIntoView({ block: "start" });
  }
  $("codebook-body").focus({ preventScroll: true });
}

// ---- recode: type-ahead over the category names ------------------------------------------------------

const recode = { unitId: null, options: [], selected: 0 };

function openRecode() {
  const unit = currentUnit();
  if (!unit || !guardDecide()) return;
  recode.unitId = unit.id;
  $("recode-input").value = "";
  filterRecode();
  $("recode-dialog").showModal();
  $("recode-input").focus();
}

function filterRecode() {
  const words = $("recode-input").value.toLowerCase().split(/\s+/).filter(Boolean);
  recode.options = state.codebook.raw.categories.filter((category) => {
    const haystack = `${category.name} ${category.id}`.toLowerCase();
    return words.every((word) => haystack.includes(word));
  });
  recode.selected = 0;
  renderRecodeOptions();
}

function renderRecodeOptions() {
  const list = $("recode-options");
  list.replaceChildren(...recode.options.map((category, i) => el("li", {
    id: `recode-${category.id}`, role: "option", "aria-selected": String(i === recode.selected),
    class: colourClass(category.id), "data-code": category.id,
  }, category.name, el("small", {}, `${state.codebook.constructs.get(category.construct).name} · ${category.id}`))));
  const input = $("recode-input");
  if (recode.options.length) {
    const active = recode.options[recode.selected];
    input.setAttribute("aria-activedescendant", `recode-${active.id}`);
    $(`recode-${active.id}`).scrollIntoView({ block: "nearest" });
  } else {
    input.removeAttribute("aria-activedescendant");
    list.append(el("li", { role: "option", "aria-disabled": "true" }, "No category matches"));
  }
}

function pickRecode(code) {
  $("recode-dialog").close();
  if (code) decide({ action: "recode", category: code }, recode.unitId);
}

// ---- the document and its units ----------------------------------------------------------------------

const currentUnit = () => state.units[state.current];
const unitIndex = (id) => state.units.findIndex((u) => u.id === id);
const shownCode = (unit) => unit.code ?? unit.suggestion?.category ?? null;
const canDecide = () => state.me?.role === "reviewer";

const MARKDOWN_HEADING = /^(#{1,6})[ \t]+(.+?)[ \t#]*$/;

// The text between units, with markdown heading lines ("## Areas of strength") shown as headings. Units are
// never inside a heading line (the segmenter makes none there), so the units' own text is left as it is.
function prose(text) {
  const parts = [];
  for (const line of text.split(/(?<=\n)/)) {
    const heading = MARKDOWN_HEADING.exec(line.replace(/\r?\n$/, ""));
    if (heading) {
      parts.push(el("span", { class: `doc-heading h${heading[1].length}`, role: "heading",
        "aria-level": String(Math.min(heading[1].length + 2, 6)) }, heading[2]));
    } else if (typeof parts.at(-1) === "string") {
      parts[parts.length - 1] += line;
    } else {
      parts.push(line);
    }
  }
  return parts;
}

function renderDocument() {
  const { text } = state.document;
  const container = $("doc-text");
  const parts = [];
  let at = 0;
  for (const [index, unit] of state.units.entries()) {
    if (unit.start < at) continue; // overlapping units (hand-made pre-segmented data) are reviewed from the panel only
    parts.push(...prose(text.slice(at, unit.start)),
      el("span", { class: "unit", id: `unit-${unit.id}`, tabindex: "-1", "data-index": index },
        text.slice(unit.start, unit.end)));
    at = unit.end;
  }
  parts.push(...prose(text.slice(at)));
  container.replaceChildren(...parts);
  $("doc-title").textContent = state.document.name;
  $("legend").replaceChildren(...[...state.codebook.groups.values()].map((c) => el("li", {},
    el("span", { class: `swatch k${c.index % 6}`, "aria-hidden": "true" }), c.name)),
  el("li", {}, el("span", { class: "swatch knone", "aria-hidden": "true" }), "No category"));
  for (const unit of state.units) paintUnit(unit);
}

function paintUnit(unit) {
  const span = $(`unit-${unit.id}`);
  if (!span) return;
  const index = unitIndex(unit.id);
  span.className = `unit ${colourClass(shownCode(unit))}`;
  span.classList.toggle("reviewed", unit.status !== "pending");
  span.classList.toggle("rejected", unit.status === "rejected");
  span.classList.toggle("conflicted", state.conflicts.has(unit.id));
  span.classList.toggle("current", index === state.current);
  span.setAttribute("tabindex", index === state.current ? "0" : "-1");
}

function statusText(unit, withReviewer = true) {
  if (state.saving.has(unit.id)) return "saving…";
  const decision = unit.decision;
  if (unit.status === "pending" || !decision) return "pending";
  const by = withReviewer ? ` by ${decision.reviewer}` : "";
  if (unit.status === "accepted" && unit.code === "NONE") return `agreed: no category fits${by}`;
  if (unit.status === "accepted") return `accepted${by}`;
  if (unit.status === "rejected") return `rejected (no category)${by}`;
  return `recoded to ${categoryName(unit.code)}${by}`;
}

function renderProgress() {
  const reviewed = state.units.filter((u) => u.status !== "pending").length;
  const total = state.units.length;
  const progress = $("progress");
  progress.max = Math.max(total, 1);
  progress.value = reviewed;
  $("progress-label").textContent =
    `Reviewed ${reviewed} of ${total} units${total ? ` (${Math.round((100 * reviewed) / total)}%)` : ""}`;
}

function renderPanel() {
  const unit = currentUnit();
  if (!unit) return;
  const suggestion = unit.suggestion;
  $("unit-title").textContent = `Unit ${state.current + 1} of ${state.units.length}`;
  $("unit-meta").textContent = [unit.section && `Section: ${unit.section}`, unit.ref].filter(Boolean).join(" · ");
  const quote = $("unit-text");
  quote.className = `unit-text ${colourClass(shownCode(unit))}`;
  quote.textContent = unit.text;
  if (suggestion?.category) {
    $("suggested").replaceChildren(...codeLabel(suggestion.category));
  } else {
    $("suggested").replaceChildren(suggestion ? "No category (the model abstained)" : "No suggestion (no model)");
  }
  $("confidence").replaceChildren(suggestion ? percent(suggestion.confidence) : "—",
    suggestion ? el("meter", { class: "bar-meter", min: "0", max: "1", value: String(suggestion.confidence),
      "aria-label": "Confidence" }) : null);
  const alternatives = (suggestion?.ranked || []).filter(([code]) => code !== suggestion.category).slice(0, 2);
  $("alternatives").replaceChildren(...(alternatives.length
    ? alternatives.map(([code, p]) => el("li", {}, ...codeLabel(code), ` ${percent(p)}`))
    : [el("li", {}, "none")]));
  $("decision").textContent = statusText(unit);
  const conflict = state.conflicts.get(unit.id);
  $("conflict").hidden = !conflict;
  if (conflict) {
    $("conflict-theirs").textContent = `${conflict.theirs.decision?.reviewer ?? "Someone"} decided it first: `
      + `${statusText(conflict.theirs, false)}.`;
    $("conflict-mine").textContent = `Your decision, not saved: ${describeIntent(conflict.intent)}.`;
  }
  const decidable = canDecide();
  $("read-only").hidden = decidable;
  $("read-only").textContent = `Signed in as ${state.me.role}: reviewers make the decisions; this view is read-only.`;
  $("accept").disabled = !decidable || !suggestion;
  // an abstention is accepted as "no category fits": the button says so
  $("accept-label").textContent = suggestion && !suggestion.category ? "Agree: no category fits" : "Accept";
  $("reject").disabled = !decidable;
  $("recode").disabled = !decidable;
  $("undo").disabled = !decidable || state.undo.length === 0;
  $("previous").disabled = state.current === 0;
  $("next").disabled = state.current >= state.units.length - 1;
}

function describeIntent(intent) {
  if (intent.action === "accept") return "accept the suggestion";  // of an abstention: no category fits
  if (intent.action === "reject") return "reject (no category)";
  if (intent.action === "undo") return "undo your decision";
  return `recode to ${categoryName(intent.category)}`;
}

function moveTo(index, { focus = true } = {}) {
  if (!state.units.length) return;
  const previous = currentUnit();
  state.current = Math.max(0, Math.min(index, state.units.length - 1));
  if (previous) paintUnit(previous);
  const unit = currentUnit();
  paintUnit(unit);
  renderPanel();
  document.querySelector(".unit-panel").scrollTop = 0;
  const span = $(`unit-${unit.id}`);
  if (span) {
    span.scrollIntoView({ block: "center" });
    if (focus) span.focus({ preventScroll: true });
  }
  const suggested = unit.suggestion?.category ? categoryName(unit.suggestion.category) : "no category";
  announce(`Unit ${state.current + 1} of ${state.units.length}, ${statusText(unit)}. Suggested: ${suggested}.`);
}

function replaceUnit(unit) {
  const index = unitIndex(unit.id);
  if (index < 0) return;
  state.units[index] = unit;
  paintUnit(unit);
  renderProgress();
  if (index === state.current) renderPanel();
}

// ---- decisions ---------------------------------------------------------------------------------------
// Decisions go to the server one at a time, in the order they were made, while the reviewer moves on.
// Each takes the unit's version when it is sent, so a decision after one's own earlier decision on the
// same unit (an undo) builds on it; a refusal drops the decisions still queued, which were made
// without knowing of it.

let queue = Promise.resolve();
let epoch = 0;
let queued = 0; // decisions not yet answered: the workspace is aria-busy meanwhile

function guardDecide() {
  if (canDecide()) return true;
  say(`Only reviewers record decisions; you are signed in as ${state.me?.role}.`, true);
  return false;
}

function enqueue(task, unitId = null) {
  const mine = epoch;
  queued += 1;
  $("workspace").setAttribute("aria-busy", "true");
  queue = queue.then(() => (mine === epoch ? task() : dropped(unitId))).finally(() => {
    queued -= 1;
    $("workspace").setAttribute("aria-busy", String(queued > 0));
  });
}

function dropped(unitId) {
  if (unitId === null || !state.saving.delete(unitId)) return;
  const unit = state.units[unitIndex(unitId)];
  paintUnit(unit);
  renderPanel();
  say(`${$("status").textContent} Your later decision on unit ${unitIndex(unitId) + 1} was not sent.`, true);
}

function decide(intent, unitId = currentUnit()?.id) {
  if (unitId === undefined || !guardDecide()) return;
  const unit = state.units[unitIndex(unitId)];
  if (intent.action === "accept" && !unit.suggestion) {
    say("There is no suggestion to accept: reject or recode this unit.", true);
    return;
  }
  state.conflicts.delete(unitId);
  state.saving.add(unitId);
  paintUnit(unit);
  if (unitIndex(unitId) === state.current) moveTo(state.current + 1);
  enqueue(() => send(unitId, intent), unitId);
}

function undoLast() {
  if (!guardDecide()) return;
  enqueue(async () => {
    const last = state.undo.pop();
    if (!last) {
      say("Nothing to undo: you have made no decision on this page.");
      renderPanel();
      return;
    }
    const index = unitIndex(last.unitId);
    if (index >= 0) moveTo(index);
    await send(last.unitId, { action: "undo" }, last);
  });
}

async function send(unitId, intent, undone = null) {
  const unit = state.units[unitIndex(unitId)];
  const project = state.project.id;
  try {
    const result = await call(`/projects/${project}/units/${unitId}/decisions`, {
      method: "POST", body: { ...intent, expected_version: unit.version },
    });
    state.saving.delete(unitId);
    if (intent.action !== "undo") state.undo.push({ unitId });
    replaceUnit(result.unit);
    renderPanel(); // the undo button follows the stack
    say(`Unit ${unitIndex(unitId) + 1}: ${intent.action === "undo" ? `undone, now ${statusText(result.unit)}`
      : statusText(result.unit)}.`);
  } catch (error) {
    state.saving.delete(unitId);
    epoch += 1;
    if (undone && error.status !== 409) state.undo.push(undone);
    if (error.status === 409 && error.body?.unit) {
      state.conflicts.set(unitId, { intent, theirs: error.body.unit });
      replaceUnit(error.body.unit);
      moveTo(unitIndex(unitId));
      say(`Unit ${unitIndex(unitId) + 1}: someone else decided first. Your decision is shown, not saved.`, true);
    } else {
      paintUnit(unit);
      renderPanel();
      say(`Unit ${unitIndex(unitId) + 1}: ${error.message}`, true);
    }
  }
}

function resolveConflict(apply) {
  const unit = currentUnit();
  const conflict = unit && state.conflicts.get(unit.id);
  if (!conflict) return false;
  state.conflicts.delete(unit.id);
  if (apply) {
    state.saving.add(unit.id);
    enqueue(() => send(unit.id, conflict.intent), unit.id);
  } else {
    say(`Unit ${state.current + 1}: kept ${conflict.theirs.decision?.reviewer ?? "their"}'s decision.`);
  }
  paintUnit(unit);
  renderPanel();
  return true;
}

// ---- keys --------------------------------------------------------------------------------------------

const KEYS = {
  a: () => decide({ action: "accept" }),
  r: () => decide({ action: "reject" }),
  c: openRecode,
  u: undoLast,
  j: () => moveTo(state.current + 1),
  ArrowDown: () => moveTo(state.current + 1),
  k: () => moveTo(state.current - 1),
  ArrowUp: () => moveTo(state.current - 1),
  b: openCodebook,
  "?": openCodebook,
  Enter: () => resolveConflict(true),
  Escape: () => resolveConflict(false),
};

function onKey(event) {
  if (event.ctrlKey || event.metaKey || event.altKey || $("review").hidden || $("workspace").hidden) return;
  const target = event.target;
  // shortcuts act only in the review area, never while typing or choosing in a form control
  const inReview = target === document.body || target === $("main") || $("review").contains(target);
  if (!inReview || target.closest("input, select, textarea")) return;
  if (target.tagName === "BUTTON" && (event.key === "Enter" || event.key === " ")) return;
  const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  const action = KEYS[key];
  if (!action) return;
  const handled = action();
  if (handled !== false) event.preventDefault();
}

// ---- views and routing -------------------------------------------------------------------------------

function route() {
  const [view = "review", project, doc] = location.hash.replace(/^#\/?/, "").split("/");
  return { view: view === "dashboard" ? "dashboard" : "review", project: Number(project) || null, document: Number(doc) || null };
}

function go(view, project, doc) {
  const hash = `#/${view}/${project ?? ""}${doc ? `/${doc}` : ""}`;
  if (location.hash === hash) show();
  else location.hash = hash;
}

function showView(name) {
  for (const id of ["signin", "review", "dashboard"]) $(id).hidden = id !== name;
  $("nav").hidden = name === "signin";
  for (const [link, view] of [["to-review", "review"], ["to-dashboard", "dashboard"]]) {
    if (name === view) $(link).setAttribute("aria-current", "page");
    else $(link).removeAttribute("aria-current");
  }
}

let showing = Promise.resolve();

function show() {
  showing = showing.then(render).catch((error) => say(error.message, true));
  return showing;
}

async function render() {
  if (!state.token) {
    showView("signin");
    $("token").focus();
    return;
  }
  if (!state.me) {
    try {
      state.me = await call("/me");
    } catch (error) {
      if (error.status !== 401) throw error;
      signOut("Your token is no longer accepted: sign in again.");
      return;
    }
    state.projects = await call("/projects");
  }
  $("who").textContent = `${state.me.name} (${state.me.role})`;
  const staff = state.me.role !== "reviewer";
  $("to-dashboard").hidden = !staff;
  const wanted = route();
  if (!state.projects.length) {
    showView("review");
    $("workspace").hidden = true;
    $("pick-document").hidden = false;
    $("pick-note").textContent = "You are not assigned to any project yet: ask an admin.";
    $("document-list").replaceChildren();
    return;
  }
  const project = state.projects.find((p) => p.id === wanted.project) ?? state.projects[0];
  await openProject(project);
  if (wanted.view === "dashboard" && staff) {
    showView("dashboard");
    updateNav(null);
    await renderDashboard();
    return;
  }
  showView("review");
  const doc = state.documents.find((d) => d.id === wanted.document);
  updateNav(doc ?? null);
  if (!doc) {
    $("workspace").hidden = true;
    $("pick-document").hidden = false;
    return;
  }
  await openDocument(doc);
}

function updateNav(doc) {
  const project = state.project.id;
  $("to-review").href = `#/review/${project}${doc ? `/${doc.id}` : ""}`;
  $("to-dashboard").href = `#/dashboard/${project}`;
  $("document").value = doc ? String(doc.id) : "";
}

async function openProject(project) {
  if (state.project?.id === project.id) return;
  state.project = project;
  state.document = null;
  state.undo = [];
  state.conflicts.clear();
  const [codebook, documents] = await Promise.all([
    call(`/projects/${project.id}/codebook`), call(`/projects/${project.id}/documents`)]);
  state.codebook = loadCodebook(codebook);
  state.documents = documents;
  $("project").replaceChildren(...state.projects.map((p) => el("option", { value: p.id }, p.name)));
  $("project").value = String(project.id);
  $("document").replaceChildren(el("option", { value: "" }, "Choose a document…"),
    ...documents.map((d) => el("option", { value: d.id }, d.name)));
  $("pick-note").textContent = documents.length
    ? `${project.name}: ${documents.length} documents.`
    : `${project.name} has no documents yet: a researcher uploads them.`;
  $("document-list").replaceChildren(...documents.map((d) => el("li", {},
    el("button", { type: "button", "data-document": d.id }, d.name, el("span", {}, `${d.units} units`)))));
  renderCodebook();
}

async function openDocument(doc) {
  if (state.document?.id === doc.id) {
    $("workspace").hidden = false;
    $("pick-document").hidden = true;
    return;
  }
  await queue; // decisions on the document being left reach the server first
  const project = state.project.id;
  const [detail, units] = await Promise.all([call(`/projects/${project}/documents/${doc.id}`), allUnits(doc.id)]);
  state.document = detail;
  state.units = units;
  state.undo = []; // undo works within the open document
  state.conflicts.clear();
  state.saving.clear();
  $("pick-document").hidden = true;
  $("workspace").hidden = false;
  renderDocument();
  renderProgress();
  const firstPending = units.findIndex((u) => u.status === "pending");
  moveTo(firstPending >= 0 ? firstPending : 0, { focus: focusOnOpen });
  focusOnOpen = false;
}

let focusOnOpen = false; // set when the reviewer opened the document from the page, not from the header menu

async function allUnits(documentId) {
  const units = [];
  for (let offset = 0; ; offset += PAGE_SIZE) {
    const page = await call(`/projects/${state.project.id}/units?document_id=${documentId}&limit=${PAGE_SIZE}&offset=${offset}`);
    units.push(...page.items);
    if (units.length >= page.total || !page.items.length) return units;
  }
}

// ---- dashboard ---------------------------------------------------------------------------------------

async function optional(promise) {
  try {
    return await promise;
  } catch (error) {
    if (error.status === 409) return { unavailable: error.message };
    throw error;
  }
}

async function renderDashboard() {
  const project = state.project.id;
  $("dashboard-title").textContent = `Dashboard: ${state.project.name}`;
  $("dashboard-note").textContent = "Loading…";
  // Table 5 (constructs); a codebook without constructs has only Table 3 (categories)
  const level = state.codebook.constructs.size ? "construct" : "category";
  const [progress, model, reviewers, table5, published, versions] = await Promise.all([
    call(`/projects/${project}/progress`),
    optional(call(`/projects/${project}/agreement/model?resamples=${RESAMPLES}`)),
    optional(call(`/projects/${project}/agreement/reviewers?resamples=${RESAMPLES}`)),
    call(`/projects/${project}/frequencies?level=${level}`),
    call(`/projects/${project}/frequencies?level=${level}&published=true`),
    call(`/projects/${project}/models`),
  ]);
  const intervals = level === "construct"
    ? await optional(call(`/projects/${project}/frequencies?level=construct&intervals=true`)) : { rows: [] };
  $("dashboard-note").textContent = `${state.documents.length} documents · model ${state.project.model_version ?? "none"}`;
  $("reviewed-total").textContent = `${progress.reviewed} of ${progress.units} units`
    + (progress.units ? ` (${percent(progress.reviewed / progress.units)})` : "");
  $("reviewers").tBodies[0].replaceChildren(...(progress.reviewers.length
    ? progress.reviewers.map((r) => el("tr", { "data-reviewer": r.name },
      el("td", {}, r.name), el("td", { class: "num" }, String(r.units))))
    : [el("tr", {}, el("td", { colspan: "2" }, "No decisions yet."))]));
  $("kappa").tBodies[0].replaceChildren(...kappaRows("Model vs reviewers", "model", model),
    ...kappaRows(reviewers.unavailable ? "Reviewer vs reviewer" : `${reviewers.a} vs ${reviewers.b}`, "reviewers", reviewers));
  $("table5-title").textContent = level === "construct" ? "Construct proportions (Table 5)" : "Category proportions (Table 3)";
  renderChart(table5.rows, published.rows, level, intervals.rows ?? []);
  renderVersions(versions);
  $("audit-panel").hidden = state.me.role !== "admin";
  if (state.me.role === "admin") renderAudit(await call(`/audit?limit=${AUDIT_ROWS}`));
}

function renderAudit(log) {
  $("audit-note").textContent = `Admin actions on the service, newest first: ${log.items.length} of ${log.total}.`;
  $("audit").tBodies[0].replaceChildren(...(log.items.length
    ? log.items.map((e) => el("tr", { "data-audit": e.action },
      el("td", {}, e.created_at.slice(0, 19).replace("T", " ")), el("td", {}, e.actor), el("td", {}, e.action),
      el("td", {}, e.target),
      el("td", {}, Object.entries(e.details ?? {}).map(([k, v]) => `${k}: ${v ?? "—"}`).join(", "))))
    : [el("tr", {}, el("td", { colspan: "5" }, "Nothing recorded yet."))]));
}

function figure(value) {
  return value === null || value === undefined ? "–" : value.toFixed(3);
}

// The project's model versions, newest first, each with its kappa on the reviewed units held out of its training
// and the kappa of the model it was trained to replace on the same units.
function renderVersions(versions) {
  $("versions").tBodies[0].replaceChildren(...(versions.length
    ? versions.map((v) => el("tr", { "data-version": v.version },
      el("td", {}, el("code", {}, v.version), v.active ? " (active)" : ""),
      el("td", { class: "num" }, String(v.train_units ?? "–")),
      el("td", { class: "num" }, String(v.held_out?.units ?? "–")),
      el("td", { class: "num", "data-figure": "kappa" }, figure(v.held_out?.category_kappa)),
      el("td", { class: "num", "data-figure": "previous" }, figure(v.held_out?.previous_category_kappa)),
      el("td", {}, v.held_out?.previous_version ? el("code", {}, v.held_out.previous_version) : "–")))
    : [el("tr", {}, el("td", { colspan: "6" }, "No model trained for this project yet."))]));
}

function kappaRows(label, key, report) {
  if (report.unavailable) {
    return [el("tr", { "data-kappa": key }, el("th", { scope: "row" }, label), el("td", { colspan: "4" }, report.unavailable))];
  }
  return ["category", "construct"].filter((level) => report[level]).map((level) => el("tr", { "data-kappa": `${key}-${level}` },
    el("th", { scope: "row" }, label), el("td", {}, level),
    el("td", { class: "num" }, String(report[level].n)),
    el("td", { class: "num" }, report[level].kappa.toFixed(3)),
    el("td", {}, report[level].kappa_ci95.map((x) => x.toFixed(3)).join(" – "))));
}

function renderChart(rows, published, level, intervals) {
  const paper = new Map(published.filter((r) => "school_reports prop" in r).map((r) => [r[level], r["school_reports prop"]]));
  // 95% intervals of the construct proportions, bootstrapped over the project's documents
  const range = new Map(intervals.map((r) => [r[level], [r["95% low"], r["95% high"]]]));
  const labelWidth = 260;
  const barWidth = 520;
  const rowHeight = 42;
  const height = rows.length * rowHeight + 30;
  const chart = svg("svg", { class: "chart", viewBox: `0 0 ${labelWidth + barWidth + 110} ${height}`, width: "100%",
    role: "img", "aria-labelledby": "table5-title table5-desc" });
  const description = rows.map((r) => `${r.name}: ${percent(r["all prop"])} (${r["all n"]} units)`
    + (range.has(r[level]) ? `, 95% interval ${range.get(r[level]).map(percent).join(" to ")}` : "")
    + (paper.has(r[level]) ? `, paper ${percent(paper.get(r[level]))}` : "")).join("; ");
  chart.append(svg("desc", { id: "table5-desc" }, description));
  const scale = Math.max(...rows.map((r) => r["all prop"]), ...paper.values(), ...[...range.values()].map((r) => r[1]), 0.01);
  rows.forEach((row, i) => {
    const y = 10 + i * rowHeight;
    const group = svg("g", { "data-construct": row[level] });
    group.append(svg("text", { x: 0, y: y + 15 }, row.name));
    const ours = row["all prop"];
    group.append(svg("rect", { class: "ours", x: labelWidth, y, height: 18, width: Math.max(1, (barWidth * ours) / scale) }),
      svg("text", { class: "value", x: labelWidth + (barWidth * Math.max(ours, range.get(row[level])?.[1] ?? 0)) / scale + 6, y: y + 14 },
        `${percent(ours)} (${row["all n"]})` + (range.has(row[level]) ? `, 95% ${range.get(row[level]).map(percent).join("–")}` : "")));
    if (range.has(row[level])) {
      const [low, high] = range.get(row[level]);
      group.append(svg("line", { class: "interval", x1: labelWidth + (barWidth * low) / scale, x2: labelWidth + (barWidth * high) / scale,
        y1: y + 9, y2: y + 9 }));
    }
    if (paper.has(row[level])) {
      const theirs = paper.get(row[level]);
      group.append(svg("rect", { class: "paper", x: labelWidth, y: y + 21, height: 12, width: Math.max(1, (barWidth * theirs) / scale) }),
        svg("text", { x: labelWidth + (barWidth * theirs) / scale + 6, y: y + 32 }, `paper ${percent(theirs)}`));
    }
    chart.append(group);
  });
  const legend = el("p", { class: "meta" }, el("span", { class: "swatch ours", "aria-hidden": "true" }), " this project ",
    el("span", { class: "swatch paper", "aria-hidden": "true" }), " the paper's school reports (Table 5)",
    range.size ? "; the line across a bar: its 95% interval, bootstrapped over the project's documents" : "");
  $("table5").replaceChildren(chart, legend);
}

async function download(format) {
  const response = await call(`/projects/${state.project.id}/export?format=${format}`, { raw: true });
  const name = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "")?.[1] ?? `export.${format}`;
  const url = URL.createObjectURL(await response.blob());
  const link = el("a", { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  say(`Downloaded ${name}.`);
}

// ---- sign in and out ---------------------------------------------------------------------------------

async function signIn(event) {
  event.preventDefault();
  await signInWith($("token").value.trim());
}

// A sign-in link (`/review#token=…`, as `autocoder serve --demo` prints): the token is in the fragment, which the
// browser never sends to a server; it is taken out of the address at once, so it stays out of the history too.
function linkedToken() {
  const token = new URLSearchParams(location.hash.replace(/^#/, "")).get("token");
  if (token) history.replaceState(null, "", location.pathname + location.search);
  return token;
}

async function signInWith(token) {
  $("signin-error").textContent = "";
  state.token = token;
  try {
    state.me = await call("/me");
    state.projects = await call("/projects");
  } catch (error) {
    state.token = null;
    state.me = null;
    showView("signin");
    $("signin-error").textContent = error.status === 401 ? "That token is not valid." : `Could not sign in: ${error.message}`;
    $("token").focus();
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  $("token").value = "";
  say(`Signed in as ${state.me.name}.`);
  await show();
  // focus where the work starts: the open document's current unit, else the first document to choose
  const target = $("review").hidden ? $("dashboard-title")
    : $("workspace").hidden ? $("document-list").querySelector("button") : $(`unit-${currentUnit()?.id}`);
  target?.focus();
}

function signOut(message = "") {
  sessionStorage.removeItem(TOKEN_KEY);
  Object.assign(state, { token: null, me: null, projects: [], project: null, document: null, units: [], undo: [] });
  state.conflicts.clear();
  state.saving.clear();
  epoch += 1;
  showView("signin");
  say(message, Boolean(message));
  $("token").focus();
}

// ---- wiring ------------------------------------------------------------------------------------------

$("signin-form").addEventListener("submit", signIn);
$("sign-out").addEventListener("click", () => signOut());
$("project").addEventListener("change", (e) => go(route().view, Number(e.target.value)));
$("document").addEventListener("change", (e) => go("review", state.project.id, Number(e.target.value) || null));
$("document-list").addEventListener("click", (e) => {
  const button = e.target.closest("button[data-document]");
  if (!button) return;
  focusOnOpen = true;
  go("review", state.project.id, Number(button.dataset.document));
});
$("doc-text").addEventListener("click", (e) => {
  const span = e.target.closest(".unit");
  if (span) moveTo(Number(span.dataset.index));
});
$("accept").addEventListener("click", () => decide({ action: "accept" }));
$("reject").addEventListener("click", () => decide({ action: "reject" }));
$("recode").addEventListener("click", openRecode);
$("undo").addEventListener("click", undoLast);
$("previous").addEventListener("click", () => moveTo(state.current - 1));
$("next").addEventListener("click", () => moveTo(state.current + 1));
$("conflict-apply").addEventListener("click", () => resolveConflict(true));
$("conflict-keep").addEventListener("click", () => resolveConflict(false));
$("open-codebook").addEventListener("click", openCodebook);
$("close-codebook").addEventListener("click", () => $("codebook-dialog").close());
$("codebook-dialog").addEventListener("close", () => $(`unit-${currentUnit()?.id}`)?.focus());
$("recode-dialog").addEventListener("close", () => $(`unit-${currentUnit()?.id}`)?.focus());
$("recode-input").addEventListener("input", filterRecode);
$("recode-input").addEventListener("keydown", (e) => {
  if (e.key === "ArrowDown" || e.key === "ArrowUp") {
    e.preventDefault();
    const step = e.key === "ArrowDown" ? 1 : -1;
    recode.selected = Math.max(0, Math.min(recode.selected + step, recode.options.length - 1));
    renderRecodeOptions();
  } else if (e.key === "Enter") {
    e.preventDefault();
    pickRecode(recode.options[recode.selected]?.id);
  }
});
$("recode-options").addEventListener("click", (e) => pickRecode(e.target.closest("li[data-code]")?.dataset.code));
for (const button of document.querySelectorAll("[data-export]")) {
  button.addEventListener("click", () => download(button.dataset.export).catch((error) => say(error.message, true)));
}
document.addEventListener("keydown", onKey);
window.addEventListener("hashchange", show);
const linked = linkedToken();
if (linked) signInWith(linked);
else show();
