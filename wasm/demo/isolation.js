// A service worker that makes the page cross-origin isolated on hosts that send no COOP/COEP headers
// (GitHub Pages, `python3 -m http.server`): it re-serves the page's own files with those headers, so
// SharedArrayBuffer (stdin and Ctrl-C between the page and the interpreter) is available. main.js
// registers it and reloads once; where the host sends the headers itself, it is never registered.
//
// It also keeps every file the page fetched (the stdlib modules imported so far included) in a cache named
// for the build, the hash of its assets.json, which lists every file's hash: a visit with the host gone
// is served from it. A rebuilt page gets a cache of its own, and the older ones are deleted whole, so two
// builds' files never mix.
"use strict";

const CACHE_PREFIX = "pipe-cpython-";

// The same headers as the dev server's and the _headers file's (ISOLATION_HEADERS in pipe_cpython/web/demo.py).
const ISOLATION_HEADERS = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
  "Cross-Origin-Resource-Policy": "same-origin",
};

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("fetch", (event) => {
  const request = event.request;
  // Only the page's own files: anything else is the browser's business (the page loads nothing else).
  if (new URL(request.url).origin !== self.location.origin) return;
  // A request the browser may answer only from its cache cannot be refetched (Chromium's devtools make them).
  if (request.cache === "only-if-cached" && request.mode !== "same-origin") return;
  // A visit reads assets.json again: the host may serve a rebuilt page.
  if (request.mode === "navigate") build = null;
  event.respondWith(
    respond(request)
      .then(isolated)
      .then(
        (response) => kept(request, response),
        () => offline(request),
      ),
  );
});

// The cache of the build the host serves now (null when the host cannot be reached), older builds' deleted.
let build = null;

function currentCache() {
  build ??= fetch(new URL("assets.json", self.registration.scope), { cache: "no-cache" })
    .then((response) => (response.ok ? response.arrayBuffer() : Promise.reject()))
    .then((bytes) => crypto.subtle.digest("SHA-256", bytes))
    .then(async (digest) => {
      const name = CACHE_PREFIX + [...new Uint8Array(digest).slice(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join("");
      for (const older of await caches.keys()) {
        if (older.startsWith(CACHE_PREFIX) && older !== name) await caches.delete(older);
      }
      return name;
    })
    .catch(() => {
      build = null; // try again at the next request
      return null;
    });
  return build;
}

async function kept(request, response) {
  if (request.method === "GET" && response.ok) {
    const name = await currentCache();
    if (name) await (await caches.open(name)).put(request, response.clone());
  }
  return response;
}

// The host cannot be reached: the last build's copy, or a network error as the host would have given.
async function offline(request) {
  for (const name of await caches.keys()) {
    if (!name.startsWith(CACHE_PREFIX)) continue;
    const response = await (await caches.open(name)).match(request, { ignoreVary: true });
    if (response) return response;
  }
  return Response.error();
}

// The page's files and their gzip copies (assets.json, written by pipe_cpython/web/demo.py). A host that
// compresses nothing would send the wasm whole; its gzip copy, decompressed here, is about a third of it.
let assets = null;

function loadAssets() {
  assets ??= fetch(new URL("assets.json", self.registration.scope))
    .then((response) => (response.ok ? response.json() : {}))
    .catch(() => ({}));
  return assets;
}

async function respond(request) {
  const name = new URL(request.url).pathname.slice(new URL(self.registration.scope).pathname.length);
  const asset = request.method === "GET" && typeof DecompressionStream === "function" && (await loadAssets())[name];
  if (asset && asset.gzip) {
    const packed = await fetch(new URL(name + ".gz", self.registration.scope));
    if (packed.ok) return unpacked(packed, asset.type);
  }
  return fetch(request);
}

function unpacked(packed, type) {
  // A host that labels .gz files Content-Encoding: gzip has had them decompressed by fetch already.
  const body = /gzip/i.test(packed.headers.get("Content-Encoding") || "")
    ? packed.body
    : packed.body.pipeThrough(new DecompressionStream("gzip"));
  // The page's own type: the host's type for a .gz file says nothing of what is inside.
  return new Response(body, { status: 200, headers: { "Content-Type": type } });
}

function isolated(response) {
  if (response.status === 0) return response; // opaque: its headers cannot be read or set
  const headers = new Headers(response.headers);
  for (const [name, value] of Object.entries(ISOLATION_HEADERS)) headers.set(name, value);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
