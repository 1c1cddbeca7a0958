// The page: a terminal (page/terminal.js) in front of the interpreter running in worker.js
// (page/interpreter.js), made cross-origin isolated where the host does not (page/isolate.js), with
// clickable examples and share links (page/share.js).

import { startInterpreter, startReplay, submit } from "./page/interpreter.js";
import { canShareMemory, isolate } from "./page/isolate.js";
import { shareLink, sharedSession } from "./page/share.js";
import { remember, screen, state } from "./page/state.js";
import { showStatus } from "./page/status.js";
import { openTerminal, paste, screenText } from "./page/terminal.js";

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

function start(isolation) {
  const missing = missingFeatures();
  if (missing.length > 0) {
    showStatus(
      `This browser lacks what the interpreter needs: ${missing.join(", ")}. Try a current Chrome, Edge or Firefox.`,
      "error",
    );
    return;
  }
  showStatus("Loading Python…", "loading");
  state.queue.push(...sharedSession());
  if (canShareMemory()) {
    startInterpreter();
  } else {
    state.degraded = isolation === "isolated" ? "no SharedArrayBuffer" : isolation;
    startReplay();
  }
  screen.term.focus();
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
