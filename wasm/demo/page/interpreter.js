// The interpreter, in worker.js: loading it (with progress), its output, and the lines, Tab requests and
// Ctrl-C the page hands it, through shared memory, or by replaying the session where there is none.

import { degradedNote } from "./isolate.js";
import { screen, state } from "./state.js";
import { hideProgress, hideStatus, showProgress, showStatus } from "./status.js";

const SIGINT = 2;
const INPUT_BYTES = 1 << 16;

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
// Given the console's answer to a Tab (set by the line editor).
let completionsHandler = () => {};

export function onCompletions(handler) {
  completionsHandler = handler;
}

export function startInterpreter() {
  const inputBuffer = new SharedArrayBuffer(8 + INPUT_BYTES);
  const signalBuffer = new SharedArrayBuffer(1);
  inputControl = new Int32Array(inputBuffer, 0, 2);
  inputBytes = new Uint8Array(inputBuffer, 8);
  signal = new Uint8Array(signalBuffer);
  worker = newWorker();
  worker.postMessage({ type: "start", inputBuffer, signalBuffer, wheels: WHEEL_URLS });
}

// Without shared memory: the session so far, run again in a new interpreter (see pipe_console.py).
export function startReplay() {
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
      showProgress(state.downloads);
      break;
    case "ready":
      if (!state.ready) {
        state.ready = true;
        hideProgress();
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
  Atomics.store(inputControl, 1, bytes.length);
  Atomics.store(inputControl, 0, 1);
  Atomics.notify(inputControl, 0);
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
  screen.term.write("^C\r\nKeyboardInterrupt\r\n" + state.prompt);
}
