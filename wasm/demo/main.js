// The page: a terminal (page/terminal.js) in front of the interpreter running in worker.js
// (page/interpreter.js), made cross-origin isolated where the host does not (page/isolate.js), with
// clickable examples and share links (page/share.js). It runs PyREPL, CPython's own REPL, on a pty
// (page/pty.js) where the build has it and the page can share memory with the worker; elsewhere, or with
// ?repl=basic (as PYTHON_BASIC_REPL), its basic console, whose lines the page edits itself.

import { attachTerminal, prepareInterpreter, startInterpreter, startReplay, submit } from "./page/interpreter.js";
import { canShareMemory, isolate } from "./page/isolate.js";
import { openPty } from "./page/pty.js";
import { shareLink, sharedSession } from "./page/share.js";
import { remember, screen, state } from "./page/state.js";
import { showStatus } from "./page/status.js";
import { loadTerminal, openTerminal, paste, screenText } from "./page/terminal.js";

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

function missingFeatures() {
  const missing = [];
  if (typeof WebAssembly !== "object") missing.push("WebAssembly");
  if (typeof Worker !== "function") missing.push("Web Workers");
  return missing;
}

document.getElementById("share").addEventListener("click", async () => {
  const link = shareLink(state.session);
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
    screen.term?.focus(); // null until the terminal has loaded
  });
}

// interpreter.json: how the worker starts the build, and the REPL the page offers; assets.json: the page's files,
// with the sizes and hashes the worker asks for them with. Each null where it cannot be read (the worker then
// reads it itself, and says why it could not).
async function readJson(name) {
  try {
    const response = await fetch(name);
    return response.ok ? await response.json() : null;
  } catch {
    return null;
  }
}

// "pyrepl" or "basic": what interpreter.json offers, where the page can share memory, unless ?repl=basic.
function chooseRepl(settings) {
  if (!canShareMemory() || new URLSearchParams(location.search).get("repl") === "basic") return "basic";
  return settings?.repl ?? "basic";
}

const REPL_NOTES = {
  pyrepl:
    "This page runs PyREPL, CPython's own REPL: F1 help, F2 history, F3 paste mode, Ctrl-R searches history. " +
    "Add ?repl=basic to the address for the page's basic console.",
  basic: "This page runs its basic console, which edits each line itself.",
};

// The interpreter starts while the terminal loads: what it writes meanwhile waits for the terminal.
async function start(isolation, repl) {
  const missing = missingFeatures();
  if (missing.length > 0) {
    showStatus(
      `This browser lacks what the interpreter needs: ${missing.join(", ")}. Try a current Chrome, Edge or Firefox.`,
      "error",
    );
    return;
  }
  showStatus("Loading Python…", "loading");
  document.body.dataset.repl = repl;
  document.getElementById("repl-note").textContent = REPL_NOTES[repl];
  try {
    if (repl === "pyrepl") {
      startInterpreter(await openPty(), sharedSession());
    } else if (canShareMemory()) {
      state.queue.push(...sharedSession());
      startInterpreter();
    } else {
      state.queue.push(...sharedSession());
      state.degraded = isolation === "isolated" ? "no SharedArrayBuffer" : isolation;
      startReplay();
    }
    await openTerminal({ lineEditor: repl === "basic" });
  } catch (error) {
    showStatus(`The page did not load: ${error.message}. Reload it to try again.`, "error");
    return;
  }
  attachTerminal();
  screen.term.focus();
}

isolate().then(async (isolation) => {
  if (isolation === "reloading") return;
  const read = Promise.all([readJson("interpreter.json"), readJson("assets.json")]).then(([settings, assets]) => {
    state.settings = settings;
    state.assets = assets;
  });
  // Loading the interpreter takes longest: it begins now, and goes on while the terminal loads.
  if (missingFeatures().length === 0) prepareInterpreter(read);
  loadTerminal().catch(() => {}); // openTerminal reports what failed
  await read;
  start(isolation, chooseRepl(state.settings));
});

// For tests and for the curious: the session's state, the terminal and its text, the share link.
window.pipeDemo = {
  state,
  shareLink: () => shareLink(state.session),
  screenText,
  paste,
  get term() {
    return screen.term;
  },
};
