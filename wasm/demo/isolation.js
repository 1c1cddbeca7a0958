// A service worker that makes the page cross-origin isolated on hosts that send no COOP/COEP headers
// (GitHub Pages, `python3 -m http.server`): it re-serves the page's own files with those headers, so
// SharedArrayBuffer (stdin and Ctrl-C between the page and the interpreter) is available. main.js
// registers it and reloads once; where the host sends the headers itself, it is never registered.
"use strict";

// The same headers as the dev server's and the _headers file's (ISOLATION_HEADERS in pipe_cpython/demo.py).
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
  event.respondWith(fetch(request).then(isolated));
});

function isolated(response) {
  if (response.status === 0) return response; // opaque: its headers cannot be read or set
  const headers = new Headers(response.headers);
  for (const [name, value] of Object.entries(ISOLATION_HEADERS)) headers.set(name, value);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
