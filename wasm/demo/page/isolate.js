// Cross-origin isolation, which the live REPL needs (SharedArrayBuffer). Where the host sends no COOP/COEP
// headers, isolation.js (a service worker) adds them to the page's own files; it controls the page only from
// the next load, hence one reload. A reload that did not help is remembered for this tab (sessionStorage),
// so the page never reloads in a loop.

const ISOLATION_RELOAD_KEY = "pipe-cpython-isolation-reload";
const ISOLATION_START_MS = 5000;

function withinTime(promise, ms, why) {
  return Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error(why)), ms))]);
}

// "isolated", "reloading", or why the page cannot be isolated.
export async function isolate() {
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

// What the live REPL needs: stdin and Ctrl-C cross between the page and the worker in shared memory.
export function canShareMemory() {
  return typeof SharedArrayBuffer === "function" && window.crossOriginIsolated;
}

export function degradedNote(why) {
  return (
    `This page is not cross-origin isolated (${why}), so Python cannot wait for your input: ` +
    "each line you enter runs the session again in a new interpreter, input() reads nothing, " +
    "Ctrl-C stops the line and Tab only indents. For the full REPL, open the page in a window that allows " +
    "service workers (not a private one), or from a host that sends COOP/COEP headers."
  );
}
