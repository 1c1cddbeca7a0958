// The terminal (xterm.js): copy and paste as in desktop terminals, and the basic console's line editor
// (editor.js), loaded only for that console.

import { screen } from "./state.js";
import { showNote } from "./status.js";

const terminalElement = document.getElementById("terminal");
let term = null;
let editor = null; // editor.js, where the page edits lines itself

let loaded = null; // the promise of loadTerminal

// The terminal's script (vendor/terminal.js) is loaded once the page is isolated, or knows it cannot be: on a
// host without the isolation headers the first load only registers the service worker and reloads, and the
// terminal's script, the page's largest after the interpreter, is then fetched once, through the worker.
export function loadTerminal() {
  loaded ??= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = "vendor/terminal.js";
    script.onload = resolve;
    script.onerror = () => reject(new Error("vendor/terminal.js did not load"));
    document.body.append(script);
  });
  return loaded;
}

// `lineEditor`: the page edits each line itself (its basic console); PyREPL edits its own, on a pty.
export async function openTerminal({ lineEditor }) {
  const lineEditing = lineEditor ? import("./editor.js") : null; // fetched while the terminal's script loads
  await loadTerminal();
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
  screen.term = term;
  if (lineEditing) {
    editor = await lineEditing;
    editor.attach(term);
  }
}

// A paste as the terminal takes it: the basic console's editor line by line, PyREPL bracketed by xterm.js.
export function paste(text) {
  return editor ? editor.paste(text) : term.paste(text);
}

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

// For tests and for the curious: the terminal's text.
export function screenText() {
  if (!term) return ""; // not loaded yet
  const buffer = term.buffer.active;
  const lines = [];
  for (let i = 0; i < buffer.length; i++) lines.push(buffer.getLine(i).translateToString(true));
  return lines.join("\n").replace(/\n+$/, "");
}
