// What the page's modules share: the session's state, the terminal once it has loaded, and the history kept
// across visits.

const HISTORY_KEY = "pipe-cpython-history";
const HISTORY_LIMIT = 500;

export const state = {
  ready: false,
  waiting: false,     // the interpreter is blocked waiting for a line
  prompt: "",         // the text after the last newline of output: ">>> " or "... "
  line: "",
  cursor: 0,
  queue: [],          // lines to deliver, echoed when delivered (examples, paste, replay)
  session: [],        // every line given to the interpreter, for share links
  history: loadHistory(),
  historyIndex: null,
  downloads: {},      // file name -> {received, total} bytes, while the interpreter loads
  search: null,       // while Ctrl-R searches: {query, match (a history index or null), saved (the line before)}
  completable: false, // the console itself waits for the line (not input() or help()): Tab completes
  completing: false,  // a Tab's request is with the console: keys wait in `held` until it answers
  held: [],
  control: "",        // the start of a control message whose end has not arrived yet
  degraded: null,     // why the page is not cross-origin isolated, where it runs each line as a replay
  replayed: false,    // the running replay reached the end of its stdin
  statementStart: 0,  // lines of the session before the statement the last replay left open
  stopped: false,     // the interpreter reported a fatal error: its message stays on the status line
  settings: null,     // interpreter.json, read once by main.js and handed to each worker (null: it reads it)
  assets: null,       // assets.json, the same way
};

// The terminal (xterm.js): null until terminal.js has loaded it.
export const screen = { term: null };

function loadHistory() {
  try {
    return JSON.parse(localStorage.getItem(HISTORY_KEY)) || [];
  } catch {
    return [];
  }
}

export function remember(line) {
  if (!line.trim() || state.history[state.history.length - 1] === line) return;
  state.history.push(line);
  state.history = state.history.slice(-HISTORY_LIMIT);
  try {
    localStorage.setItem(HISTORY_KEY, JSON.stringify(state.history));
  } catch {
    // Private browsing: history then lasts as long as the page.
  }
}
