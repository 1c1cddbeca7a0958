// The page: a terminal (xterm.js) with line editing, history, paste, Ctrl-C and
// share links, in front of the interpreter running in worker.js.
"use strict";

const SIGINT = 2;
const HISTORY_KEY = "pipe-cpython-history";
const HISTORY_LIMIT = 500;
const INPUT_BYTES = 1 << 16;

const EXAMPLES = {
  seed: [
    "double = lambda v: v * 2",
    "increment = lambda v: v + 1",
    "2 |> double |> increment |> double",
  ],
  precedence: ["[3, 1, 2] |> sorted |> len > 2", "1 + 2 |> str", "not [] |> bool"],
  text: ["'Hello, pipes' |> str.upper |> list |> sorted |> ''.join"],
  lambda: ["10 |> (lambda n: n * n) |> range |> sum"],
  error: ["x |> lambda v: v"],
};

const status = document.getElementById("status");
const progressBar = document.getElementById("progress");
const terminalElement = document.getElementById("terminal");
// The terminal (xterm.js, vendor/terminal.js) is loaded once the page is isolated, or knows it cannot be: on a
// host without the isolation headers the first load only registers the service worker and reloads, and the
// terminal's script, the page's largest after the interpreter, is then fetched once, through the worker.
let term = null;

async function openTerminal() {
  await new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = "vendor/terminal.js";
    script.onload = resolve;
    script.onerror = () => reject(new Error("vendor/terminal.js did not load"));
    document.body.append(script);
  });
  term = new Terminal({
    cursorBlink: true,
    convertEol: true,
    fontFamily: "DejaVu Sans Mono, Menlo, Consolas, monospace",
    fontSize: 15,
    theme: { background: "#1e1e2e", foreground: "#e0e0e0" },
    allowProposedApi: true, // term.unicode, for the Unicode 11 widths below
  });
  // CJK and emoji take two cells: Unicode 11's widths, as terminals and CPython's own REPL count them.
  term.loadAddon(new Unicode11Addon.Unicode11Addon());
  term.unicode.activeVersion = "11";
  const fit = new FitAddon.FitAddon();
  term.loadAddon(fit);
  term.open(terminalElement);
  fit.fit();
  window.addEventListener("resize", () => fit.fit());
  term.attachCustomKeyEventHandler(terminalKey);
  term.onData(terminalData);
}

const state = {
  ready: false,
  waiting: false,     // the interpreter is blocked waiting for a line
  prompt: "",         // the text after the last newline of output: ">>> " or "... "
  line: "",
  cursor: 0,
  queue: [],          // lines to deliver, echoed when delivered (examples, paste, replay)
  session: [],        // every line given to the interpreter, for share links
  history: loadHistory(),
  historyIndex: null,
  downloads: {},      // file name -> {received, total} bytes, while the interpreter loads
  search: null,       // while Ctrl-R searches: {query, match (a history index or null), saved (the line before)}
  completable: false, // the console itself waits for the line (not input() or help()): Tab completes
  completing: false,  // a Tab's request is with the console: keys wait in `held` until it answers
  held: [],
  control: "",        // the start of a control message whose end has not arrived yet
  degraded: null,     // why the page is not cross-origin isolated, where it runs each line as a replay
  replayed: false,    // the running replay reached the end of its stdin
  statementStart: 0,  // lines of the session before the statement the last replay left open
  stopped: false,     // the interpreter reported a fatal error: its message stays on the status line
};

function missingFeatures() {
  const missing = [];
  if (typeof WebAssembly !== "object") missing.push("WebAssembly");
  if (typeof Worker !== "function") missing.push("Web Workers");
  return missing;
}

// What the live REPL needs: stdin and Ctrl-C cross between the page and the worker in shared memory.
function canShareMemory() {
  return typeof SharedArrayBuffer === "function" && window.crossOriginIsolated;
}

function loadHistory() {
  try {
    return JSON.parse(localStorage.getItem(HISTORY_KEY)) || [];
  } catch {
    return [];
  }
}

function remember(line) {
  if (!line.trim() || state.history[state.history.length - 1] === line) return;
  state.history.push(line);
  state.history = state.history.slice(-HISTORY_LIMIT);
  try {
    localStorage.setItem(HISTORY_KEY, JSON.stringify(state.history));
  } catch {
    // Private browsing: history then lasts as long as the page.
  }
}

// --- the interpreter --------------------------------------------------------

// Pure-Python wheels the page's address names (?wheel=URL, repeatable), installed with those shipped with the page.
const WHEEL_URLS = new URLSearchParams(location.search).getAll("wheel");

// Made once the browser is known to have SharedArrayBuffer (see missingFeatures).
let inputControl = null;
let inputBytes = null;
let signal = null;
let worker = null;

function startInterpreter() {
  const inputBuffer = new SharedArrayBuffer(8 + INPUT_BYTES);
  const signalBuffer = new SharedArrayBuffer(1);
  inputControl = new Int32Array(inputBuffer, 0, 2);
  inputBytes = new Uint8Array(inputBuffer, 8);
  signal = new Uint8Array(signalBuffer);
  worker = newWorker();
  worker.postMessage({ type: "start", inputBuffer, signalBuffer, wheels: WHEEL_URLS });
}

// Without shared memory: the session so far, run again in a new interpreter (see pipe_console.py).
function startReplay() {
  if (worker) worker.terminate();
  state.replayed = false;
  worker = newWorker();
  worker.postMessage({ type: "start", replay: state.session.slice(), wheels: WHEEL_URLS });
}

function newWorker() {
  const created = new Worker("worker.js");
  created.onmessage = (event) => handleWorkerMessage(event.data);
  created.onerror = (event) => showStatus(`The interpreter failed to load: ${event.message}`, "error");
  return created;
}

function handleWorkerMessage(message) {
  // A replay loads the interpreter again (from the browser's cache): only the first load is shown. Once it
  // stopped, files still arriving must not hide why.
  const reloading = (state.degraded !== null && state.ready) || state.stopped;
  switch (message.type) {
    case "status":
      if (!reloading) showStatus(message.text, "loading");
      break;
    case "progress":
      if (reloading) break;
      state.downloads[message.file] = { received: message.received, total: message.total };
      showProgress();
      break;
    case "ready":
      if (!state.ready) {
        state.ready = true;
        progressBar.hidden = true;
        if (state.degraded === null) hideStatus();
        else showStatus(degradedNote(state.degraded), "warning");
      }
      worker.postMessage({ type: "run" });
      break;
    case "output":
      writeOutput(message.text);
      break;
    case "input-wanted":
      state.waiting = true;
      document.body.dataset.state = "prompt";
      deliverQueued();
      break;
    case "exited":
      if (state.replayed) break; // a replay that read all of its stdin, not an exit()
      state.waiting = false;
      document.body.dataset.state = "exited";
      term.write(`\r\n[The interpreter exited (${message.status}). Reload the page to start again.]\r\n`);
      break;
    case "fatal":
      state.stopped = true;
      progressBar.hidden = true;
      showStatus(`The interpreter stopped: ${message.text}`, "error");
      break;
  }
}

function showProgress() {
  const files = Object.values(state.downloads);
  const received = files.reduce((sum, file) => sum + file.received, 0);
  // A compressed response's length is of the compressed bytes: past it, the total is unknown.
  const known = files.every((file) => file.total >= file.received && file.total > 0);
  const total = files.reduce((sum, file) => sum + file.total, 0);
  const megabytes = (bytes) => (bytes / 1e6).toFixed(1);
  progressBar.hidden = false;
  if (known) {
    progressBar.max = total;
    progressBar.value = received;
    showStatus(`Loading Python: ${megabytes(received)} of ${megabytes(total)} MB`, "loading");
  } else {
    progressBar.removeAttribute("value");
    showStatus(`Loading Python: ${megabytes(received)} MB`, "loading");
  }
}

// The console (pipe_console.py) talks to the page in OSC sequences with a private number, on stdout.
const CONTROL = "\x1b]7707;";
const CONTROL_END = "\x07";
const COMPLETION_REQUEST = CONTROL + "complete;";

function writeOutput(text) {
  text = state.control + text;
  state.control = "";
  let at;
  while ((at = text.indexOf(CONTROL)) !== -1) {
    const end = text.indexOf(CONTROL_END, at);
    if (end === -1) {
      state.control = text.slice(at); // the rest comes with the next output
      text = text.slice(0, at);
      break;
    }
    writeText(text.slice(0, at));
    const body = text.slice(at + CONTROL.length, end);
    const split = body.indexOf(";");
    handleControl(body.slice(0, split), JSON.parse(body.slice(split + 1)));
    text = text.slice(end + CONTROL_END.length);
  }
  writeText(text);
}

function writeText(text) {
  if (!text) return;
  term.write(text);
  const lastNewline = text.lastIndexOf("\n");
  state.prompt = lastNewline === -1 ? state.prompt + text : text.slice(lastNewline + 1);
}

function handleControl(kind, payload) {
  if (kind === "prompt") state.completable = state.degraded === null;
  else if (kind === "completions") showCompletions(payload);
  else if (kind === "replayed") {
    state.replayed = true;
    state.statementStart = payload.statement_start;
    state.waiting = true;
    document.body.dataset.state = "prompt";
    deliverQueued();
  }
}

// Hands the waiting interpreter one line of stdin; without shared memory, runs the session again.
function send(line) {
  if (state.degraded !== null) {
    state.waiting = false;
    return startReplay(); // deliver() has added the line to the session
  }
  const bytes = new TextEncoder().encode(line + "\n").slice(0, INPUT_BYTES);
  inputBytes.set(bytes);
  state.waiting = false;
  Atomics.store(inputControl, 1, bytes.length);
  Atomics.store(inputControl, 0, 1);
  Atomics.notify(inputControl, 0);
}

function deliver(line, { echo }) {
  if (echo) term.write(line);
  term.write("\r\n");
  state.session.push(line);
  state.prompt = "";
  state.completable = false;
  document.body.dataset.state = "running";
  send(line);
}

function deliverQueued() {
  if (state.waiting && state.queue.length > 0) deliver(state.queue.shift(), { echo: true });
}

function submit(lines) {
  state.queue.push(...lines);
  deliverQueued();
}

function interrupt() {
  if (state.degraded !== null) return interruptReplay();
  if (state.waiting) {
    // Nothing runs: like a terminal, drop the line being edited and prompt again.
    state.queue = [];
    state.line = "";
    state.cursor = 0;
    term.write("^C\r\nKeyboardInterrupt\r\n" + state.prompt);
  } else {
    state.queue = [];
    Atomics.store(signal, 0, SIGINT);
  }
}

// Without shared memory there is no signal to send: Ctrl-C stops the replay and forgets the statement it ran
// (or the block left open at the prompt), as KeyboardInterrupt would have left the session.
function interruptReplay() {
  if (!state.waiting && worker) {
    worker.terminate();
    worker = null;
  }
  state.session = state.session.slice(0, state.statementStart);
  state.queue = [];
  state.line = "";
  state.cursor = 0;
  state.prompt = ">>> ";
  state.waiting = true;
  document.body.dataset.state = "prompt";
  term.write("^C\r\nKeyboardInterrupt\r\n" + state.prompt);
}

// --- line editing -------------------------------------------------------------

// The cursor is an index into the line's UTF-16 text; a character may take two cells on screen, so the
// terminal, which knows the widths, places it: the line is written whole, then again up to the cursor.
function redraw() {
  const line = "\r\x1b[K" + state.prompt + state.line;
  const toCursor = state.cursor < state.line.length ? "\r" + state.prompt + state.line.slice(0, state.cursor) : "";
  term.write(line + toCursor);
}

// Where the character before (step -1) or after (+1) the cursor begins: a code point, not half an emoji.
function stepCursor(step) {
  const text = state.line;
  let at = state.cursor;
  if (step < 0 && at > 0) at -= at > 1 && isLowSurrogate(text.charCodeAt(at - 1)) ? 2 : 1;
  if (step > 0 && at < text.length) at += isLowSurrogate(text.charCodeAt(at + 1)) ? 2 : 1;
  return at;
}

function isLowSurrogate(code) {
  return code >= 0xdc00 && code <= 0xdfff;
}

function insert(text) {
  state.line = state.line.slice(0, state.cursor) + text + state.line.slice(state.cursor);
  state.cursor += text.length;
  redraw();
}

function recall(step) {
  if (state.history.length === 0) return;
  const last = state.history.length;
  let index = state.historyIndex === null ? last : state.historyIndex;
  index = Math.min(Math.max(index + step, 0), last);
  state.historyIndex = index;
  state.line = index === last ? "" : state.history[index];
  state.cursor = state.line.length;
  redraw();
}

function enter() {
  const line = state.line;
  state.line = "";
  state.cursor = 0;
  state.historyIndex = null;
  remember(line);
  if (state.waiting) deliver(line, { echo: false });
  else state.queue.push(line);
}

function paste(text) {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  if (lines.length === 1) return insert(lines[0]);
  const first = state.line + lines.shift();
  const rest = lines.pop();
  state.line = "";
  state.cursor = 0;
  term.write("\r\x1b[K" + state.prompt);
  lines.forEach(remember);
  remember(first);
  submit([first, ...lines]);
  if (rest) insert(rest);
}

// --- Tab: completion by the console's rlcompleter, as in the terminal REPL -------

const INDENT = "    ";

function complete() {
  const before = state.line.slice(0, state.cursor);
  // At the start of a line, after whitespace, and in input() or help(), Tab indents.
  if (!before.trim() || /\s$/.test(before) || !(state.waiting && state.completable)) return insert(INDENT);
  state.completing = true;
  send(COMPLETION_REQUEST + before);
}

function showCompletions({ word, matches }) {
  state.completing = false;
  const prefix = commonPrefix(matches);
  if (matches.length === 1 || prefix.length > word.length) {
    const at = state.cursor - word.length;
    state.line = state.line.slice(0, at) + prefix + state.line.slice(state.cursor);
    state.cursor = at + prefix.length;
    redraw();
  } else if (matches.length > 1) {
    term.write("\r\n" + columns([...matches].sort()) + "\r\n");
    redraw();
  }
  const held = state.held;
  state.held = [];
  held.forEach(handleKeys);
}

function commonPrefix(words) {
  if (words.length === 0) return "";
  let prefix = words[0];
  for (const word of words) while (!word.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return prefix;
}

// Matches laid out down then across, as readline lists them.
function columns(words) {
  const width = Math.max(...words.map((word) => word.length)) + 2;
  const perRow = Math.max(1, Math.floor(term.cols / width));
  const rows = Math.ceil(words.length / perRow);
  const lines = [];
  for (let row = 0; row < rows; row++) {
    let line = "";
    for (let i = row; i < words.length; i += rows) line += words[i].padEnd(width);
    lines.push(line.trimEnd());
  }
  return lines.join("\r\n");
}

// --- reverse history search (Ctrl-R), as in bash and readline -----------------

function findInHistory(query, before) {
  for (let i = Math.min(before, state.history.length) - 1; i >= 0; i--) {
    if (state.history[i].includes(query)) return i;
  }
  return null;
}

function drawSearch() {
  const { query, match } = state.search;
  const found = match === null ? "" : state.history[match];
  const label = match === null && query ? "failing reverse-i-search" : "reverse-i-search";
  term.write(`\r\x1b[K(${label})\`${query}': ${found}`);
}

function startSearch() {
  state.search = { query: "", match: null, saved: state.line };
  drawSearch();
}

function endSearch(accept) {
  const { match, saved } = state.search;
  state.search = null;
  state.line = accept && match !== null ? state.history[match] : saved;
  state.cursor = state.line.length;
  redraw();
}

function searchKey(data) {
  const search = state.search;
  if (data === "\x12") {
    // Again: the next older line with the same text.
    const older = findInHistory(search.query, search.match === null ? state.history.length : search.match);
    if (older !== null) search.match = older;
  } else if (data === "\x7f") {
    search.query = search.query.slice(0, -1);
    search.match = search.query ? findInHistory(search.query, state.history.length) : null;
  } else if (data === "\x07" || data === "\x03") {
    return endSearch(false);
  } else if (data === "\r") {
    endSearch(true);
    return enter();
  } else if (/^[\x00-\x1f]/.test(data)) {
    return endSearch(true); // Escape, arrows, other control keys: keep the match for editing
  } else {
    search.query += data;
    const from = search.match === null ? state.history.length : search.match + 1;
    search.match = findInHistory(search.query, from);
  }
  drawSearch();
}

const KEYS = {
  "\r": enter,
  "\x7f": () => {
    const at = stepCursor(-1);
    state.line = state.line.slice(0, at) + state.line.slice(state.cursor);
    state.cursor = at;
    redraw();
  },
  "\x1b[3~": () => {
    state.line = state.line.slice(0, state.cursor) + state.line.slice(stepCursor(+1));
    redraw();
  },
  "\x1b[D": () => { state.cursor = stepCursor(-1); redraw(); },
  "\x1b[C": () => { state.cursor = stepCursor(+1); redraw(); },
  "\x1b[H": () => { state.cursor = 0; redraw(); },
  "\x1b[F": () => { state.cursor = state.line.length; redraw(); },
  "\x01": () => { state.cursor = 0; redraw(); },
  "\x05": () => { state.cursor = state.line.length; redraw(); },
  "\x1b[A": () => recall(-1),
  "\x1b[B": () => recall(+1),
  "\x03": interrupt,
  "\x12": startSearch,
  "\x0c": () => { term.clear(); redraw(); },
  "\t": complete,
};

// Ctrl-C copies when text is selected and interrupts otherwise; Ctrl-Shift-C and Ctrl-Shift-V copy and
// paste as in desktop terminals. The context menu's copy and paste are xterm.js's own.
function terminalKey(event) {
  if (event.type !== "keydown" || !event.ctrlKey) return true;
  const key = event.key.toLowerCase();
  if (key === "c" && (event.shiftKey || term.hasSelection())) {
    event.preventDefault();
    copySelection();
    return false;
  }
  if (key === "v" && event.shiftKey) {
    event.preventDefault();
    navigator.clipboard.readText().then(
      (text) => term.paste(text),
      () => showNote("The browser did not allow reading the clipboard: paste with Ctrl-V or the context menu."),
    );
    return false;
  }
  return true;
}

function copySelection() {
  if (!term.hasSelection()) return;
  const text = term.getSelection();
  term.clearSelection();
  navigator.clipboard.writeText(text).catch(() => showNote("The browser did not allow copying: use the context menu."));
}

function terminalData(data) {
  if (!state.ready) return;
  if (state.completing) return state.held.push(data);
  handleKeys(data);
}

function handleKeys(data) {
  if (state.search) return searchKey(data);
  if (KEYS[data]) return KEYS[data]();
  if (data.length > 1 && (data.includes("\r") || data.includes("\n"))) return paste(data);
  if (data.startsWith("\x1b")) return; // other escape sequences: ignored
  insert(data.replace(/[\x00-\x1f]/g, ""));
}

// --- page controls -------------------------------------------------------------

function showStatus(text, kind) {
  status.textContent = text;
  status.className = kind;
  status.hidden = false;
}

function hideStatus() {
  status.hidden = true;
}

// A passing remark (a refused clipboard): shown in the status line for a few seconds.
function showNote(text) {
  showStatus(text, "note");
  // Only the note itself: whatever the status line says by then (an error, say) stays.
  setTimeout(() => status.textContent === text && hideStatus(), 4000);
}

function encodeSession(lines) {
  const bytes = new TextEncoder().encode(lines.join("\n"));
  let binary = "";
  bytes.forEach((b) => (binary += String.fromCharCode(b)));
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function decodeSession(text) {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(base64 + "===".slice((base64.length + 3) % 4));
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes).split("\n");
}

function shareLink() {
  const url = new URL(window.location.href);
  url.hash = "code=" + encodeSession(state.session);
  return url.toString();
}

document.getElementById("share").addEventListener("click", async () => {
  const link = shareLink();
  const output = document.getElementById("share-link");
  output.value = link;
  output.hidden = false;
  output.select();
  try {
    await navigator.clipboard.writeText(link);
    document.getElementById("share").textContent = "Link copied";
  } catch {
    document.getElementById("share").textContent = "Copy the link below";
  }
});

for (const button of document.querySelectorAll("[data-example]")) {
  button.addEventListener("click", () => {
    const lines = EXAMPLES[button.dataset.example];
    lines.forEach(remember);
    submit(lines);
    term?.focus(); // null until the terminal has loaded
  });
}

// --- cross-origin isolation ---------------------------------------------------------

const ISOLATION_RELOAD_KEY = "pipe-cpython-isolation-reload";
const ISOLATION_START_MS = 5000;

function withinTime(promise, ms, why) {
  return Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error(why)), ms))]);
}

// Where the host sends no COOP/COEP headers, isolation.js (a service worker) adds them to the page's own
// files; it controls the page only from the next load, hence one reload. A reload that did not help is
// remembered for this tab (sessionStorage), so the page never reloads in a loop.
async function isolate() {
  if (window.crossOriginIsolated) {
    forgetIsolationReload();
    return "isolated";
  }
  if (!("serviceWorker" in navigator) || !window.isSecureContext) return "no service workers";
  let reloaded;
  try {
    reloaded = sessionStorage.getItem(ISOLATION_RELOAD_KEY);
  } catch {
    return "no session storage to guard a reload";
  }
  if (reloaded) {
    forgetIsolationReload();
    return "the service worker did not isolate the page";
  }
  try {
    // A browser that forbids service workers may leave registration pending forever instead of failing.
    await withinTime(
      navigator.serviceWorker.register("isolation.js").then(() => navigator.serviceWorker.ready),
      ISOLATION_START_MS,
      `it did not start within ${ISOLATION_START_MS / 1000} s`,
    );
  } catch (error) {
    return `the service worker could not start (${error.message})`;
  }
  sessionStorage.setItem(ISOLATION_RELOAD_KEY, "1");
  window.location.reload();
  return "reloading";
}

function forgetIsolationReload() {
  try {
    sessionStorage.removeItem(ISOLATION_RELOAD_KEY);
  } catch {
    // Nothing was stored.
  }
}

function start(isolation) {
  if (isolation === "reloading") return;
  const missing = missingFeatures();
  if (missing.length > 0) {
    showStatus(
      `This browser lacks what the interpreter needs: ${missing.join(", ")}. Try a current Chrome, Edge or Firefox.`,
      "error",
    );
    return;
  }
  showStatus("Loading Python…", "loading");
  const match = window.location.hash.match(/^#code=([A-Za-z0-9_-]*)$/);
  if (match && match[1]) state.queue.push(...decodeSession(match[1]));
  if (canShareMemory()) {
    startInterpreter();
  } else {
    state.degraded = isolation === "isolated" ? "no SharedArrayBuffer" : isolation;
    startReplay();
  }
  term.focus();
}

function degradedNote(why) {
  return (
    `This page is not cross-origin isolated (${why}), so Python cannot wait for your input: ` +
    "each line you enter runs the session again in a new interpreter, input() reads nothing, " +
    "Ctrl-C stops the line and Tab only indents. For the full REPL, open the page in a window that allows " +
    "service workers (not a private one), or from a host that sends COOP/COEP headers."
  );
}

isolate().then(async (isolation) => {
  if (isolation === "reloading") return;
  try {
    await openTerminal();
  } catch (error) {
    showStatus(`The page did not load: ${error.message}. Reload it to try again.`, "error");
    return;
  }
  start(isolation);
});

// For tests and for the curious: the terminal's text, and the session's share link.
function screenText() {
  const buffer = term.buffer.active;
  const lines = [];
  for (let i = 0; i < buffer.length; i++) lines.push(buffer.getLine(i).translateToString(true));
  return lines.join("\n").replace(/\n+$/, "");
}

window.pipeDemo = {
  state,
  shareLink,
  screenText,
  paste,
  get term() {
    return term;
  },
};
