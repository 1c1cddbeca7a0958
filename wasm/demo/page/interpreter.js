// The interpreter, in worker.js: loading it (with progress), its output, and the lines, Tab requests and
// Ctrl-C the page hands it, through shared memory, or by replaying the session where there is none; where the
// page runs PyREPL, the worker's terminal linked to the pty's slave end (page/pty.js).

import { degradedNote } from "./isolate.js";
import { fromEmscripten, SIGNALS, toEmscripten } from "./pty.js";
import { screen, state } from "./state.js";
import { hideProgress, hideStatus, showProgress, showStatus } from "./status.js";

const INPUT_BYTES = 1 << 16;
const PYREPL_HISTORY_KEY = "pipe-cpython-pyrepl-history";
// How the page wakes the worker waiting for stdin (worker.js): bytes are there, or a signal ended the wait.
const WAKE_DATA = 1;
const WAKE_SIGNAL = 2;
// Shared with worker.js: the window's size.
const TTY_ROWS = 0;
const TTY_COLS = 1;

// Pure-Python wheels the page's address names (?wheel=URL, repeatable), installed with those shipped with the page.
const WHEEL_URLS = new URLSearchParams(location.search).getAll("wheel");

// The console (pipe_console.py) talks to the page in OSC sequences with a private number, on stdout.
const CONTROL = "\x1b]7707;";
const CONTROL_END = "\x07";
const COMPLETION_REQUEST = CONTROL + "complete;";

// Made once the browser is known to have SharedArrayBuffer.
let inputControl = null;
let inputBytes = null;
let signal = null;
let worker = null;
// Where the page runs PyREPL: {slave (the pty's), state (shared with the worker), wanted (a read waits)}.
let pty = null;
// Given the console's answer to a Tab (set by the line editor).
let completionsHandler = () => {};

export function onCompletions(handler) {
  completionsHandler = handler;
}

// `ends`: the pty's, from openPty, where the page runs PyREPL (which first runs `shared`, a share link's lines).
// It starts while the terminal loads: attachTerminal hands it the terminal.
export function startInterpreter(ends = null, shared = []) {
  const inputBuffer = new SharedArrayBuffer(8 + INPUT_BYTES);
  const signalBuffer = new SharedArrayBuffer(1);
  inputControl = new Int32Array(inputBuffer, 0, 2);
  inputBytes = new Uint8Array(inputBuffer, 8);
  signal = new Uint8Array(signalBuffer);
  worker = takeWorker();
  const message = { type: "start", inputBuffer, signalBuffer };
  if (ends) message.pty = linkPty(ends, shared);
  worker.postMessage(message);
}

function linkPty({ master, slave }, shared) {
  const ttyBuffer = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
  pty = { master, slave, state: new Int32Array(ttyBuffer), wanted: false };
  setWindowSize(...UNOPENED_SIZE);
  // Once the line discipline has taken the whole of what xterm.js sent (it passes bytes up one by one), so that
  // a key's escape sequence reaches PyREPL in one read.
  slave.onReadable(() => queueMicrotask(deliverTty));
  slave.onSignal(signalFromPty);
  let history = "";
  try {
    history = localStorage.getItem(PYREPL_HISTORY_KEY) || "";
  } catch {
    // Private browsing: history lasts as long as the page.
  }
  state.session.push(...shared);
  return { ttyBuffer, termios: toEmscripten(slave.ioctl("TCGETS")), history, shared };
}

// The window's size until the terminal is open: where PyREPL asks for it before, the terminal's own comes as
// a resize (SIGWINCH).
const UNOPENED_SIZE = [24, 80];

function setWindowSize(rows, cols) {
  Atomics.store(pty.state, TTY_ROWS, rows);
  Atomics.store(pty.state, TTY_COLS, cols);
}

// Hands a waiting terminal read what the line discipline passed up.
function deliverTty() {
  if (!pty.wanted || !pty.slave.readable) return;
  const bytes = pty.slave.read(INPUT_BYTES);
  inputBytes.set(bytes);
  pty.wanted = false;
  document.body.dataset.state = "running";
  wakeWorker(WAKE_DATA, bytes.length);
}

function wakeWorker(why, length = 0) {
  Atomics.store(inputControl, 1, length);
  Atomics.store(inputControl, 0, why);
  Atomics.notify(inputControl, 0);
}

// Ctrl-C (SIGINT) and a resize (SIGWINCH) from the line discipline: into CPython's signal buffer, which the
// running bytecode reads; a blocked read is woken to take it (a SIGWINCH never overwrites a pending SIGINT).
function signalFromPty(name) {
  const number = SIGNALS[name];
  if (!number) return;
  if (number === SIGNALS.SIGINT) Atomics.store(signal, 0, number);
  else Atomics.compareExchange(signal, 0, 0, number);
  if (pty.wanted) {
    pty.wanted = false;
    wakeWorker(WAKE_SIGNAL);
  }
}

function handlePageMessage({ kind, lines, text }) {
  if (kind === "ran") state.session.push(...lines);
  else if (kind === "history") {
    try {
      localStorage.setItem(PYREPL_HISTORY_KEY, text);
    } catch {
      // Private browsing, or a full store: the history lasts as long as the page.
    }
  }
}

// Without shared memory: the session so far, run again in a new interpreter (see pipe_console.py).
export function startReplay() {
  if (worker) worker.terminate();
  state.replayed = false;
  worker = takeWorker();
  worker.postMessage({ type: "start", replay: state.session.slice() });
}

// A worker made as soon as the page knows it stays (its script loads while the page reads its settings), which
// starts loading the rest of the interpreter (the stdlib, its entry point) once they are read (`read`, a
// promise), while the page loads its terminal; the first interpreter started takes it. python.wasm compiles in
// the page (index.html), from before this where the page was isolated from the start.
let prepared = null;

export function prepareInterpreter(read) {
  window.pipeWasm.onprogress = showWasmProgress;
  window.pipeWasm.compile();
  const worker = createWorker();
  prepared = worker;
  read.then(() => {
    showWasmProgress(); // its total is in assets.json
    prepare(worker);
  });
}

function showWasmProgress() {
  showDownload("python.wasm", window.pipeWasm.received, state.assets?.["python.wasm"]?.bytes ?? 0);
}

function takeWorker() {
  const taken = prepared ?? prepare(createWorker());
  prepared = null;
  return taken;
}

function createWorker() {
  const created = new Worker("worker.js");
  created.onmessage = (event) => receive(created, event.data);
  created.onerror = (event) => showStatus(`The interpreter failed to load: ${event.message}`, "error");
  return created;
}

function prepare(worker) {
  worker.postMessage({ type: "prepare", wheels: WHEEL_URLS, settings: state.settings, assets: state.assets });
  window.pipeWasm.compile().then(
    (module) => worker.postMessage({ type: "module", module }),
    (error) => worker.postMessage({ type: "module", error: error.message }),
  );
  return worker;
}

// A replay loads the interpreter again (from the browser's cache): only the first load is shown. Once it
// stopped, files still arriving must not hide why.
function loadShown() {
  return !((state.degraded !== null && state.ready) || state.stopped);
}

// A file's bytes received of its total (0: unknown), on the progress bar while the interpreter loads.
function showDownload(file, received, total) {
  if (!loadShown()) return;
  state.downloads[file] = { received, total };
  showProgress(state.downloads);
}

// What the worker says before the terminal is open, but for how the load goes: handled once it is
// (attachTerminal), in order. The interpreter runs meanwhile.
let held = [];
const SHOWN_AT_ONCE = new Set(["status", "progress", "fatal"]);

function receive(from, message) {
  if (message.type === "ready") from.postMessage({ type: "run" });
  if (held && !SHOWN_AT_ONCE.has(message.type)) held.push(message);
  else handleWorkerMessage(message);
}

// The terminal is open (screen.term): the pty's master joins it, and what the worker said meanwhile is shown.
export function attachTerminal() {
  const term = screen.term;
  if (pty) {
    term.loadAddon(pty.master);
    setWindowSize(term.rows, term.cols);
    term.onResize(({ rows, cols }) => setWindowSize(rows, cols));
    if (term.rows !== UNOPENED_SIZE[0] || term.cols !== UNOPENED_SIZE[1]) signalFromPty("SIGWINCH");
  }
  const waiting = held;
  held = null;
  waiting.forEach(handleWorkerMessage);
  if (pty) submit(state.queue.splice(0)); // examples clicked before
}

function handleWorkerMessage(message) {
  switch (message.type) {
    case "status":
      if (loadShown()) showStatus(message.text, "loading");
      break;
    case "progress":
      showDownload(message.file, message.received, message.total);
      break;
    case "ready":
      if (!state.ready) {
        state.ready = true;
        hideProgress();
        if (state.degraded === null) hideStatus();
        else showStatus(degradedNote(state.degraded), "warning");
      }
      break;
    case "output":
      writeOutput(message.text);
      break;
    case "tty-output":
      pty.slave.write(Array.from(message.bytes));
      break;
    case "tty-read":
      // A signal that came before the read asked ends it at once.
      document.body.dataset.state = "prompt";
      pty.wanted = !Atomics.load(signal, 0);
      if (pty.wanted) deliverTty();
      else wakeWorker(WAKE_SIGNAL);
      break;
    case "tty-termios":
      pty.slave.ioctl("TCSETS", fromEmscripten(message.termios));
      break;
    case "page":
      handlePageMessage(message.message);
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
      screen.term.write(`\r\n[The interpreter exited (${message.status}). Reload the page to start again.]\r\n`);
      break;
    case "fatal":
      state.stopped = true;
      hideProgress();
      showStatus(`The interpreter stopped: ${message.text}`, "error");
      break;
  }
}

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
  screen.term.write(text);
  const lastNewline = text.lastIndexOf("\n");
  state.prompt = lastNewline === -1 ? state.prompt + text : text.slice(lastNewline + 1);
}

function handleControl(kind, payload) {
  if (kind === "prompt") state.completable = state.degraded === null;
  else if (kind === "completions") completionsHandler(payload);
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
  wakeWorker(WAKE_DATA, bytes.length);
}

// Asks the console for the completions of `before` (the line up to the cursor).
export function requestCompletions(before) {
  state.completing = true;
  send(COMPLETION_REQUEST + before);
}

export function deliver(line, { echo }) {
  if (echo) screen.term.write(line);
  screen.term.write("\r\n");
  state.session.push(line);
  state.prompt = "";
  state.completable = false;
  document.body.dataset.state = "running";
  send(line);
}

function deliverQueued() {
  if (state.waiting && state.queue.length > 0) deliver(state.queue.shift(), { echo: true });
}

export function submit(lines) {
  if (pty && screen.term) {
    // Typed into the terminal, as the user would (PyREPL reads them when it is ready).
    for (const line of lines) screen.term.input(line + "\r");
    return;
  }
  state.queue.push(...lines);
  deliverQueued();
}

export function interrupt() {
  if (state.degraded !== null) return interruptReplay();
  if (state.waiting) {
    // Nothing runs: like a terminal, drop the line being edited and prompt again.
    state.queue = [];
    state.line = "";
    state.cursor = 0;
    screen.term.write("^C\r\nKeyboardInterrupt\r\n" + state.prompt);
  } else {
    state.queue = [];
    Atomics.store(signal, 0, SIGNALS.SIGINT);
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
  screen.term.write("^C\r\nKeyboardInterrupt\r\n" + state.prompt);
}
