// The interpreter's thread: runs the page's console (pipe_console.py) in the browser build and talks to the page.
//
// stdin is a SharedArrayBuffer channel: when CPython wants input, this worker
// asks the page for a line and sleeps in Atomics.wait until the page has put
// one there. Ctrl-C is CPython's own Emscripten signal buffer: the page writes
// SIGINT into it and the running bytecode raises KeyboardInterrupt.
//
// Where the page is not cross-origin isolated there is no SharedArrayBuffer:
// the page then starts a worker per line it runs, with the session's lines as
// the whole of stdin (a replay, see pipe_console.py), and stops it for Ctrl-C.
//
// Where the page runs PyREPL (pipe_pyrepl.py), stdin, stdout and stderr are instead a terminal: Emscripten's
// TTY devices, whose reads, writes and ioctls this worker answers from the page's pty (see "A terminal").
"use strict";

let input = null;        // {control: Int32Array [state, length], bytes: Uint8Array}
let replay = null;       // the session's lines, in a replay
let pending = new Uint8Array(0);  // bytes of stdin not yet read by CPython
let pty = null;          // where the page runs PyREPL: {termios, state: Int32Array, history, shared}
let pythonExports = null;  // the instance's exports (a dynamically linked build exports every C symbol); not
// `wasmExports`, which a classic build (python.js) declares in this worker's global scope
const decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
const buffers = { stdout: [], stderr: [] };

function flush(stream) {
  if (buffers[stream].length === 0) return;
  const text = decoders[stream].decode(new Uint8Array(buffers[stream]), { stream: true });
  buffers[stream] = [];
  if (text) postMessage({ type: "output", stream, text });
}

function writer(stream) {
  return (byte) => {
    if (byte === null) return;
    buffers[stream].push(byte);
    if (byte === 10 || buffers[stream].length > 4096) flush(stream);
  };
}

function readLineFromPage() {
  flush("stdout");
  flush("stderr");
  Atomics.store(input.control, 0, 0);
  postMessage({ type: "input-wanted" });
  Atomics.wait(input.control, 0, 0);
  pending = input.bytes.slice(0, Atomics.load(input.control, 1));
}

// Replaces the read of the /dev/stdin device: it hands over what the page sent,
// as much as the caller asked for, and blocks only when nothing is left. This
// works for buffered reads (a whole line at once) and unbuffered ones (a byte
// at a time) alike; a per-character stdin callback cannot tell those apart.
function readStdin(stream, buffer, offset, length) {
  // musl's stdio can read into an empty first segment; that must not wait for the page.
  if (length === 0) return 0;
  if (pending.length === 0) {
    if (replay) return 0; // the end of the replay's stdin
    readLineFromPage();
  }
  const count = Math.min(length, pending.length);
  buffer.set(pending.subarray(0, count), offset);
  pending = pending.subarray(count);
  return count;
}

// Byte-level load progress of the stdlib as it arrives: the files this worker fetches (interpreter.json's), or
// python.data, which Emscripten's file packager fetches and reports through setStatus. python.wasm the page
// compiles, and counts, itself.
const DATA_PROGRESS = /^Downloading data\.\.\. \((\d+)\/(\d+)\)/;

function progress(file, received, total) {
  postMessage({ type: "progress", file, received, total });
}

// The page's files and their sizes (assets.json, written with the page): a compressed response's
// Content-Length is of the compressed bytes, and the stream gives the bytes it decompressed. The page reads it
// with its settings and hands it over with "prepare" (one request fewer, for each replay too).
let shipped = {}; // assets.json, once it has arrived
let assets = null; // its promise

function readAssets() {
  return fetch("assets.json")
    .then((response) => (response.ok ? response.json() : {}))
    .catch(() => ({}));
}

// How to start the page's build (interpreter.json, written with the page): its entry point, classic script
// or ES module, and which of the page's files to write where in its file system before it starts. The page
// hands it over with "prepare" where it has read it already (one request fewer, for each replay too).
let interpreter = null;

function readSettings() {
  return fetch("interpreter.json").then((response) => {
    if (!response.ok) throw new Error(`interpreter.json: HTTP ${response.status}`);
    return response.json();
  });
}

// A file's address with its content's hash (assets.json): the dev server lets the browser keep what it fetched
// at such an address without asking again, and a rebuilt page's files have new addresses.
function addressOf(name) {
  const hash = shipped[name]?.sha256;
  return hash ? `${name}?v=${hash}` : name;
}

async function fetchCounted(name) {
  const sizes = await assets;
  const response = await fetch(addressOf(name));
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const total = sizes[name]?.bytes || Number(response.headers.get("Content-Length")) || 0;
  let received = 0;
  const counting = new TransformStream({
    transform(chunk, controller) {
      received += chunk.byteLength;
      progress(name, received, total);
      controller.enqueue(chunk);
    },
  });
  return new Response(response.body.pipeThrough(counting), { headers: response.headers });
}

// Wheels for the console to install before its first prompt (pipe_console.py): those shipped with the page
// (`demo --wheel` puts them in wheels/, so assets.json lists them), then those the page's address names, where
// their host allows it (CORS).
const WHEELS = "/wheels";

async function fetchWheel(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`a wheel did not load: ${url}: HTTP ${response.status}`);
  const name = decodeURIComponent(new URL(response.url).pathname.split("/").pop());
  if (!name.endsWith(".whl")) throw new Error(`a wheel did not load: ${url} is not a wheel (${name})`);
  return [`${WHEELS}/${name}`, new Uint8Array(await response.arrayBuffer())];
}

// Every file to write into the file system before the interpreter starts, as [path, bytes]: fetched while
// python.wasm compiles, and awaited before its instance is handed over, so that preRun finds them all.
function fetchFiles(wheelUrls) {
  const placed = interpreter.then((settings) =>
    Promise.all(
      Object.entries(settings.files).map(async ([name, path]) => {
        try {
          return [path, new Uint8Array(await (await fetchCounted(name)).arrayBuffer())];
        } catch (error) {
          throw new Error(`${name} did not load: ${error.message}`);
        }
      }),
    ),
  );
  const wheels = assets
    .then((sizes) => Object.keys(sizes).filter((name) => name.startsWith("wheels/") && name.endsWith(".whl")))
    .then((shipped) => Promise.all([...shipped, ...wheelUrls].map(fetchWheel)));
  return Promise.all([placed, wheels]).then(([files, wheelFiles]) => [...files, ...wheelFiles]);
}

let files = null;  // the promise of fetchFiles
let written = [];  // what it gave, once resolved

// python.wasm's WebAssembly.Module, which the page compiles and hands over ("module", after "prepare").
let compiled = null;
let moduleArrived = null;  // {resolve, reject} of `compiled`

function instantiateCounted(imports, receiveInstance) {
  Promise.all([compiled, files.then((fetched) => (written = fetched))])
    .then(([module]) => WebAssembly.instantiate(module, imports).then((instance) => [instance, module]))
    .then(
      ([instance, module]) => {
        pythonExports = instance.exports;
        receiveInstance(instance, module);
      },
      (error) => postMessage({ type: "fatal", text: error.message }),
    );
  return {};
}

// A classic build (python.js) defines FS, ENV and callMain as globals of this worker; an ES-module build
// (python.mjs) puts them on the Module object it was given.
let moduleBuild = false;
const runtime = () => (moduleBuild ? self.Module : self);

function writeFiles(settings) {
  const { FS } = runtime();
  for (const directory of settings.directories) FS.mkdirTree(directory);
  for (const [path, bytes] of written) {
    FS.mkdirTree(path.slice(0, path.lastIndexOf("/")));
    FS.writeFile(path, bytes);
  }
  makeFetchDevice(FS);
}

// A synchronous fetch for the interpreter, which fetches the stdlib modules beyond the page's core as they
// are imported (pipe_stdlib.py): a URL written to /dev/pipe-fetch, then `STATUS\n` and the body read back.
// A worker may wait for a request (a page may not); the browser's cache and the service worker answer it
// as they answer any of the page's requests.
const FETCH_DEVICE = "pipe-fetch";

function fetchNow(url) {
  const request = new XMLHttpRequest();
  let status = 0;
  let body = new Uint8Array(0);
  try {
    // assets.json has arrived: the interpreter runs only once the page's files are in.
    request.open("GET", addressOf(url), false);
    request.responseType = "arraybuffer";
    request.send();
    status = request.status;
    body = new Uint8Array(request.response || new ArrayBuffer(0));
  } catch {
    // status 0: the request itself failed (offline, refused)
  }
  const head = new TextEncoder().encode(`${status}\n`);
  const response = new Uint8Array(head.length + body.length);
  response.set(head);
  response.set(body, head.length);
  return response;
}

// A character device at /dev/`name` whose stream operations are `ops`.
function makeDevice(FS, name, ops) {
  FS.createDevice.major ??= 64; // as Emscripten's own createDevice numbers its devices
  const device = FS.makedev(FS.createDevice.major++, 0);
  FS.registerDevice(device, ops);
  FS.mkdev(`/dev/${name}`, 0o666, device);
}

function makeFetchDevice(FS) {
  makeDevice(FS, FETCH_DEVICE, {
    open(stream) {
      stream.request = [];
      stream.response = null;
      stream.sent = 0;
    },
    write(stream, buffer, offset, length) {
      stream.request.push(...buffer.subarray(offset, offset + length));
      return length;
    },
    read(stream, buffer, offset, length) {
      stream.response ??= fetchNow(new TextDecoder().decode(new Uint8Array(stream.request)));
      const count = Math.min(length, stream.response.length - stream.sent);
      buffer.set(stream.response.subarray(stream.sent, stream.sent + count), offset);
      stream.sent += count;
      return count;
    },
  });
}

// What PyREPL's side of the page tells the page (pipe_pyrepl.py): one JSON message per write to /dev/pipe-page.
const PAGE_DEVICE = "pipe-page";

function makePageDevice(FS) {
  makeDevice(FS, PAGE_DEVICE, {
    open(stream) {
      stream.message = [];
    },
    write(stream, buffer, offset, length) {
      stream.message.push(...buffer.subarray(offset, offset + length));
      return length;
    },
    close(stream) {
      const text = new TextDecoder().decode(new Uint8Array(stream.message));
      if (text) postMessage({ type: "page", message: JSON.parse(text) });
    },
  });
}

// --- A terminal, where the page runs PyREPL ----------------------------------------------------------------
//
// The pty (npm xterm-pty) runs in the page: its line discipline echoes, edits a line in canonical mode or passes
// each key in raw mode, and turns Ctrl-C into SIGINT. This worker holds the terminal's side of it: writes go to
// the page as they come; a read asks the page for what the line discipline passed up and sleeps until it is in
// the shared input buffer, or until a signal ends the wait, as a signal ends a blocked read on a laptop (EINTR,
// then CPython runs the handler: KeyboardInterrupt, or PyREPL's SIGWINCH). termios is the pty's: a copy here
// answers TCGETS, and each TCSETS goes to the page; the window's size is in shared memory the page updates.
const WAKE_DATA = 1;
const WAKE_SIGNAL = 2;
const TTY_ROWS = 0; // indices into pty.state, the window's size
const TTY_COLS = 1;
const POLLIN = 1;
const POLLOUT = 4;
const FIONREAD = 0x541b;

// The page's pty has been asked for input and has not answered yet.
let asked = false;

// Waits up to `timeout` ms (Infinity: until it comes) for the pty's input, or a signal (then EINTR).
function awaitInput(timeout) {
  if (!asked) {
    Atomics.store(input.control, 0, 0);
    postMessage({ type: "tty-read" });
    asked = true;
  }
  Atomics.wait(input.control, 0, 0, timeout);
  const woken = Atomics.load(input.control, 0);
  if (woken === WAKE_DATA) pending = input.bytes.slice(0, Atomics.load(input.control, 1));
  // After a timeout the request stands: what the page sends later is taken by the next wait.
  if (woken !== 0) asked = false;
  const signal = Atomics.exchange(self.signalBuffer, 0, 0);
  if (signal) {
    pythonExports.PyErr_SetInterruptEx(signal);
    throw new (runtime().FS.ErrnoError)(runtime().ERRNO_CODES.EINTR);
  }
}

function readTty(stream, buffer, offset, length) {
  if (length === 0) return 0;
  while (pending.length === 0) awaitInput(Infinity);
  const count = Math.min(length, pending.length);
  buffer.set(pending.subarray(0, count), offset);
  pending = pending.subarray(count);
  return count;
}

// PyREPL waits for a key with poll(100 ms) between its hooks. Where the browser has JSPI, 3.14 passes the poll's
// timeout here; without it (Emscripten's synchronous poll passes none) a short wait keeps an idle REPL idle.
const POLL_WITHOUT_TIMEOUT_MS = 50;

function pollTty(stream, timeout = POLL_WITHOUT_TIMEOUT_MS) {
  if (pending.length === 0 && timeout !== 0) awaitInput(timeout < 0 ? Infinity : timeout);
  return (pending.length ? POLLIN : 0) | POLLOUT;
}

function writeTty(stream, buffer, offset, length) {
  const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset + offset, length).slice();
  postMessage({ type: "tty-output", bytes }, [bytes.buffer]);
  return length;
}

const TTY_STREAM_OPS = {
  read: readTty,
  write: writeTty,
  poll: pollTty,
  ioctl(stream, request, argp) {
    if (request !== FIONREAD) return -runtime().ERRNO_CODES.EINVAL;
    runtime().HEAPU32[argp >>> 2] = pending.length;
    return 0;
  },
};

const TTY_OPS = {
  ioctl_tcgets: () => pty.termios,
  ioctl_tcsets(tty, request, termios) {
    pty.termios = termios;
    postMessage({ type: "tty-termios", termios });
    return 0;
  },
  ioctl_tiocgwinsz: () => [Atomics.load(pty.state, TTY_ROWS), Atomics.load(pty.state, TTY_COLS)],
  fsync() {},
};

function makeTerminal() {
  const { TTY, ENV, FS } = runtime();
  Object.assign(TTY.stream_ops, TTY_STREAM_OPS);
  Object.assign(TTY.default_tty_ops, TTY_OPS);
  Object.assign(TTY.default_tty1_ops, TTY_OPS);
  ENV.TERM = "xterm-256color";
  // Emscripten's own home directory, named here so that the history file can be written before Python starts.
  ENV.HOME = "/home/web_user";
  // PyREPL's history, kept by the page across visits (pipe_pyrepl.py sends it after each statement).
  if (pty.history) FS.writeFile(`${ENV.HOME}/.python_history`, pty.history);
  makePageDevice(FS);
}

self.Module = {
  instantiateWasm: instantiateCounted,
  noInitialRun: true,
  // Only so that /dev/stdin is a device whose read can be replaced (see readStdin); where the page runs PyREPL,
  // these three go (the start message says so), and the standard streams are the terminal's.
  stdin: () => null,
  stdout: writer("stdout"),
  stderr: writer("stderr"),
  preRun: [],
  setStatus: (status) => {
    const data = DATA_PROGRESS.exec(status);
    if (data) progress("python.data", Number(data[1]), Number(data[2]));
    else if (status) postMessage({ type: "status", text: status });
  },
  monitorRunDependencies: (left) => postMessage({ type: "status", text: left ? `Loading (${left} left)` : "Starting" }),
  onRuntimeInitialized: () => {
    if (!pty) runtime().FS.streams[0].stream_ops.read = readStdin;
    // A replay has no shared memory for signals: the page stops its worker instead.
    if (!replay) handleSignalsFromPage();
    postMessage({ type: "ready" });
  },
  onAbort: (what) => postMessage({ type: "fatal", text: String(what) }),
};

// An ES-module build's entry, imported as soon as the settings name it (importing runs nothing); a classic
// build's script runs as it loads, so it is loaded by `load`, once the page has said how it will run.
let entryModule = null;

function importEntry(settings) {
  return settings.module ? assets.then(() => import(`./${addressOf(settings.entry)}`)) : null;
}

async function load(settings) {
  self.Module.preRun.push(() => {
    // Unbuffered, so output and the prompts (on stderr) arrive in the order they were written.
    runtime().ENV.PYTHONUNBUFFERED = "1";
    writeFiles(settings);
    if (pty) makeTerminal();
  });
  await assets;
  if (!settings.module) {
    importScripts(addressOf(settings.entry));
    return;
  }
  moduleBuild = true;
  const { default: createPython } = await entryModule;
  await createPython(self.Module);
}

// "prepare" comes first, as soon as the page has its settings (or null: then they are read here): the files to
// write and an ES-module build's entry load while the page loads its terminal and compiles python.wasm, which
// "module" brings. "start" says how the interpreter runs: a replay, or stdin (and Ctrl-C) through shared memory,
// or a terminal.
function prepare(message) {
  assets = Promise.resolve(message.assets ?? readAssets()).then((sizes) => (shipped = sizes));
  interpreter = message.settings ? Promise.resolve(message.settings) : readSettings();
  compiled = new Promise((resolve, reject) => (moduleArrived = { resolve, reject }));
  files = fetchFiles(message.wheels || []);
  entryModule = interpreter.then(importEntry);
  // Reported by instantiateCounted and load, which await them.
  for (const promise of [compiled, files, entryModule]) promise.catch(() => {});
}

function start(message) {
  if (message.replay) {
    replay = message.replay;
    pending = new TextEncoder().encode(replay.map((line) => line + "\n").join(""));
  } else {
    input = {
      control: new Int32Array(message.inputBuffer, 0, 2),
      bytes: new Uint8Array(message.inputBuffer, 8),
    };
    self.signalBuffer = new Uint8Array(message.signalBuffer);
  }
  if (message.pty) {
    pty = { ...message.pty, state: new Int32Array(message.pty.ttyBuffer) };
    delete self.Module.stdin;
    delete self.Module.stdout;
    delete self.Module.stderr;
  }
  interpreter.then(load).catch((error) => postMessage({ type: "fatal", text: `the interpreter did not load: ${error.message}` }));
}

self.onmessage = (event) => {
  const message = event.data;
  if (message.type === "prepare") prepare(message);
  else if (message.type === "module") {
    if (message.error) moduleArrived.reject(new Error(message.error));
    else moduleArrived.resolve(message.module);
  } else if (message.type === "start") start(message);
  else if (message.type === "run") runConsole();
};

function handleSignalsFromPage() {
  // CPython reads the buffer, then writes 0 to it, in two steps: a Ctrl-C that the page
  // stores in between is lost. Reading through these accessors consumes the signal in one
  // atomic step, and CPython's clearing write does nothing (python/cpython#157548).
  Module.Py_EmscriptenSignalBuffer = {
    get 0() {
      return Atomics.exchange(self.signalBuffer, 0, 0);
    },
    set 0(cleared) {},
  };
  // An int: the whole word, which both kinds of build export a view of.
  runtime().HEAPU32[Module._Py_EMSCRIPTEN_SIGNAL_HANDLING >>> 2] = 1;
}

// Not `run`: python.js, a classic script, defines a global of that name.
function runConsole() {
  // Reported once: where the browser has JSPI, 3.14's build runs main as a promise (it suspends at each poll),
  // so callMain returns before the REPL ends and the end comes through Module.onExit.
  let reported = false;
  const reportExit = (status) => {
    if (reported) return;
    reported = true;
    flush("stdout");
    flush("stderr");
    postMessage({ type: "exited", status });
  };
  self.Module.onExit = reportExit;
  let status;
  try {
    // pipe_pyrepl.py (PyREPL, with the lines of a share link to run first), or pipe_console.py (the page's basic
    // REPL loop, which also answers Tab), in the stdlib's directory.
    const program = pty
      ? `__import__('pipe_pyrepl').interact(${JSON.stringify(JSON.stringify(pty.shared))})`
      : `__import__('pipe_console').interact(${replay ? replay.length : ""})`;
    status = runtime().callMain(["-c", program]);
  } catch (error) {
    return reportExit(String(error));
  }
  if (status !== undefined) reportExit(status);
}
