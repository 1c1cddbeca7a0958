// The basic console's line editor: history (kept across visits), Ctrl-R, Tab completion by the console, paste
// and Ctrl-C, in front of the interpreter (interpreter.js). PyREPL edits its own lines on a pty (pty.js), so
// the terminal loads this module only for the basic console.

import { deliver, interrupt, onCompletions, requestCompletions, submit } from "./interpreter.js";
import { remember, state } from "./state.js";

let term = null;

export function attach(terminal) {
  term = terminal;
  term.onData(terminalData);
  onCompletions(showCompletions);
}

// --- line editing -------------------------------------------------------------

// The cursor is an index into the line's UTF-16 text; a character may take two cells on screen, so the
// terminal, which knows the widths, places it: the line is written whole, then again up to the cursor.
function redraw() {
  const line = "\r\x1b[K" + state.prompt + state.line;
  const toCursor = state.cursor < state.line.length ? "\r" + state.prompt + state.line.slice(0, state.cursor) : "";
  term.write(line + toCursor);
}

// Where the character before (step -1) or after (+1) the cursor begins: a code point, not half an emoji.
function stepCursor(step) {
  const text = state.line;
  let at = state.cursor;
  if (step < 0 && at > 0) at -= at > 1 && isLowSurrogate(text.charCodeAt(at - 1)) ? 2 : 1;
  if (step > 0 && at < text.length) at += isLowSurrogate(text.charCodeAt(at + 1)) ? 2 : 1;
  return at;
}

function isLowSurrogate(code) {
  return code >= 0xdc00 && code <= 0xdfff;
}

function insert(text) {
  state.line = state.line.slice(0, state.cursor) + text + state.line.slice(state.cursor);
  state.cursor += text.length;
  redraw();
}

function recall(step) {
  if (state.history.length === 0) return;
  const last = state.history.length;
  let index = state.historyIndex === null ? last : state.historyIndex;
  index = Math.min(Math.max(index + step, 0), last);
  state.historyIndex = index;
  state.line = index === last ? "" : state.history[index];
  state.cursor = state.line.length;
  redraw();
}

function enter() {
  const line = state.line;
  state.line = "";
  state.cursor = 0;
  state.historyIndex = null;
  remember(line);
  if (state.waiting) deliver(line, { echo: false });
  else state.queue.push(line);
}

export function paste(text) {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  if (lines.length === 1) return insert(lines[0]);
  const first = state.line + lines.shift();
  const rest = lines.pop();
  state.line = "";
  state.cursor = 0;
  term.write("\r\x1b[K" + state.prompt);
  lines.forEach(remember);
  remember(first);
  submit([first, ...lines]);
  if (rest) insert(rest);
}

// --- Tab: completion by the console's rlcompleter, as in the terminal REPL -------

const INDENT = "    ";

function complete() {
  const before = state.line.slice(0, state.cursor);
  // At the start of a line, after whitespace, and in input() or help(), Tab indents.
  if (!before.trim() || /\s$/.test(before) || !(state.waiting && state.completable)) return insert(INDENT);
  requestCompletions(before);
}

function showCompletions({ word, matches }) {
  state.completing = false;
  const prefix = commonPrefix(matches);
  if (matches.length === 1 || prefix.length > word.length) {
    const at = state.cursor - word.length;
    state.line = state.line.slice(0, at) + prefix + state.line.slice(state.cursor);
    state.cursor = at + prefix.length;
    redraw();
  } else if (matches.length > 1) {
    term.write("\r\n" + columns([...matches].sort()) + "\r\n");
    redraw();
  }
  const held = state.held;
  state.held = [];
  held.forEach(handleKeys);
}

function commonPrefix(words) {
  if (words.length === 0) return "";
  let prefix = words[0];
  for (const word of words) while (!word.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return prefix;
}

// Matches laid out down then across, as readline lists them.
function columns(words) {
  const width = Math.max(...words.map((word) => word.length)) + 2;
  const perRow = Math.max(1, Math.floor(term.cols / width));
  const rows = Math.ceil(words.length / perRow);
  const lines = [];
  for (let row = 0; row < rows; row++) {
    let line = "";
    for (let i = row; i < words.length; i += rows) line += words[i].padEnd(width);
    lines.push(line.trimEnd());
  }
  return lines.join("\r\n");
}

// --- reverse history search (Ctrl-R), as in bash and readline -----------------

function findInHistory(query, before) {
  for (let i = Math.min(before, state.history.length) - 1; i >= 0; i--) {
    if (state.history[i].includes(query)) return i;
  }
  return null;
}

function drawSearch() {
  const { query, match } = state.search;
  const found = match === null ? "" : state.history[match];
  const label = match === null && query ? "failing reverse-i-search" : "reverse-i-search";
  term.write(`\r\x1b[K(${label})\`${query}': ${found}`);
}

function startSearch() {
  state.search = { query: "", match: null, saved: state.line };
  drawSearch();
}

function endSearch(accept) {
  const { match, saved } = state.search;
  state.search = null;
  state.line = accept && match !== null ? state.history[match] : saved;
  state.cursor = state.line.length;
  redraw();
}

function searchKey(data) {
  const search = state.search;
  if (data === "\x12") {
    // Again: the next older line with the same text.
    const older = findInHistory(search.query, search.match === null ? state.history.length : search.match);
    if (older !== null) search.match = older;
  } else if (data === "\x7f") {
    search.query = search.query.slice(0, -1);
    search.match = search.query ? findInHistory(search.query, state.history.length) : null;
  } else if (data === "\x07" || data === "\x03") {
    return endSearch(false);
  } else if (data === "\r") {
    endSearch(true);
    return enter();
  } else if (/^[\x00-\x1f]/.test(data)) {
    return endSearch(true); // Escape, arrows, other control keys: keep the match for editing
  } else {
    search.query += data;
    const from = search.match === null ? state.history.length : search.match + 1;
    search.match = findInHistory(search.query, from);
  }
  drawSearch();
}

const KEYS = {
  "\r": enter,
  "\x7f": () => {
    const at = stepCursor(-1);
    state.line = state.line.slice(0, at) + state.line.slice(state.cursor);
    state.cursor = at;
    redraw();
  },
  "\x1b[3~": () => {
    state.line = state.line.slice(0, state.cursor) + state.line.slice(stepCursor(+1));
    redraw();
  },
  "\x1b[D": () => { state.cursor = stepCursor(-1); redraw(); },
  "\x1b[C": () => { state.cursor = stepCursor(+1); redraw(); },
  "\x1b[H": () => { state.cursor = 0; redraw(); },
  "\x1b[F": () => { state.cursor = state.line.length; redraw(); },
  "\x01": () => { state.cursor = 0; redraw(); },
  "\x05": () => { state.cursor = state.line.length; redraw(); },
  "\x1b[A": () => recall(-1),
  "\x1b[B": () => recall(+1),
  "\x03": interrupt,
  "\x12": startSearch,
  "\x0c": () => { term.clear(); redraw(); },
  "\t": complete,
};

function terminalData(data) {
  if (!state.ready) return;
  if (state.completing) return state.held.push(data);
  handleKeys(data);
}

function handleKeys(data) {
  if (state.search) return searchKey(data);
  if (KEYS[data]) return KEYS[data]();
  if (data.length > 1 && (data.includes("\r") || data.includes("\n"))) return paste(data);
  if (data.startsWith("\x1b")) return; // other escape sequences: ignored
  insert(data.replace(/[\x00-\x1f]/g, ""));
}
