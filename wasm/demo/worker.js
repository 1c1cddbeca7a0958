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
"use strict";

let input = null;        // {control: Int32Array [state, length], bytes: Uint8Array}
let replay = null;       // the session's lines, in a replay
let pending = new Uint8Array(0);  // bytes of stdin not yet read by CPython
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

// Byte-level load progress: python.wasm is counted as it streams into the compiler (so it still compiles
// while it downloads), python.data by Emscripten's file packager, which reports its bytes through setStatus.
const DATA_PROGRESS = /^Downloading data\.\.\. \((\d+)\/(\d+)\)/;

function progress(file, received, total) {
  postMessage({ type: "progress", file, received, total });
}

// The page's files and their sizes (assets.json, written with the page): a compressed response's
// Content-Length is of the compressed bytes, and the stream gives the bytes it decompressed.
const assets = fetch("assets.json")
  .then((response) => (response.ok ? response.json() : {}))
  .catch(() => ({}));

function instantiateCounted(imports, receiveInstance) {
  Promise.all([fetch("python.wasm"), assets])
    .then(([response, sizes]) => {
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const total = sizes["python.wasm"]?.bytes || Number(response.headers.get("Content-Length")) || 0;
      let received = 0;
      const counting = new TransformStream({
        transform(chunk, controller) {
          received += chunk.byteLength;
          progress("python.wasm", received, total);
          controller.enqueue(chunk);
        },
      });
      const counted = new Response(response.body.pipeThrough(counting), {
        headers: { "Content-Type": "application/wasm" },
      });
      return WebAssembly.instantiateStreaming(counted, imports);
    })
    .then(
      ({ instance, module }) => receiveInstance(instance, module),
      (error) => postMessage({ type: "fatal", text: `python.wasm did not load: ${error.message}` }),
    );
  return {};
}

// Wheels for the console to install before its first prompt (pipe_console.py): those shipped with the page
// (`demo --wheel` puts them in wheels/, so assets.json lists them), then those the page's address names, where
// their host allows it (CORS).
const WHEELS = "/wheels";
let wheelUrls = [];

async function fetchWheel(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  const name = decodeURIComponent(new URL(response.url).pathname.split("/").pop());
  if (!name.endsWith(".whl")) throw new Error(`${url} is not a wheel (${name})`);
  return [name, new Uint8Array(await response.arrayBuffer())];
}

function loadWheels() {
  addRunDependency("wheels");
  assets
    .then((sizes) => Object.keys(sizes).filter((name) => name.startsWith("wheels/") && name.endsWith(".whl")))
    .then((shipped) => Promise.all([...shipped, ...wheelUrls].map(fetchWheel)))
    .then(
      (wheels) => {
        if (wheels.length) FS.mkdir(WHEELS);
        for (const [name, bytes] of wheels) FS.writeFile(`${WHEELS}/${name}`, bytes);
        removeRunDependency("wheels");
      },
      (error) => postMessage({ type: "fatal", text: `a wheel did not load: ${error.message}` }),
    );
}

self.Module = {
  instantiateWasm: instantiateCounted,
  noInitialRun: true,
  // Only so that /dev/stdin is a device whose read can be replaced (see readStdin).
  stdin: () => null,
  stdout: writer("stdout"),
  stderr: writer("stderr"),
  preRun: [
    () => {
      // Unbuffered, so output and the prompts (on stderr) arrive in the order they were written.
      ENV.PYTHONUNBUFFERED = "1";
    },
    loadWheels,
  ],
  setStatus: (status) => {
    const data = DATA_PROGRESS.exec(status);
    if (data) progress("python.data", Number(data[1]), Number(data[2]));
    else if (status) postMessage({ type: "status", text: status });
  },
  monitorRunDependencies: (left) => postMessage({ type: "status", text: left ? `Loading (${left} left)` : "Starting" }),
  onRuntimeInitialized: () => {
    FS.streams[0].stream_ops.read = readStdin;
    // A replay has no shared memory for signals: the page stops its worker instead.
    if (!replay) handleSignalsFromPage();
    postMessage({ type: "ready" });
  },
  onAbort: (what) => postMessage({ type: "fatal", text: String(what) }),
};

self.onmessage = (event) => {
  const message = event.data;
  if (message.type === "start") {
    wheelUrls = message.wheels || [];
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
    importScripts("python.js");
  } else if (message.type === "run") {
    runConsole();
  }
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
  Module.HEAP8[Module._Py_EMSCRIPTEN_SIGNAL_HANDLING] = 1;
}

// Not `run`: python.js, a classic script, defines a global of that name.
function runConsole() {
  let status;
  try {
    // pipe_console.py: the page's REPL loop (it also answers Tab), packed into python.data beside os.py.
    status = callMain(["-c", `__import__('pipe_console').interact(${replay ? replay.length : ""})`]);
  } catch (error) {
    status = String(error);
  }
  flush("stdout");
  flush("stderr");
  postMessage({ type: "exited", status });
}
