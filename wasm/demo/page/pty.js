// PyREPL's terminal: a pty (npm xterm-pty) between xterm.js and the interpreter. Its line discipline runs here
// (echo, canonical or raw mode, Ctrl-C as SIGINT, a resize as SIGWINCH); interpreter.js links its slave end to
// the worker's TTY devices through shared memory.

// The pty's signals, as the worker hands them to CPython (Linux's numbers, which Emscripten's are). SIGQUIT and
// SIGTSTP (Ctrl-\ and Ctrl-Z) have nothing to act on in the page.
export const SIGNALS = { SIGINT: 2, SIGWINCH: 28 };

// {master, slave}, from xterm-pty (a chunk of its own, fetched while the terminal's script loads): the master
// joins the terminal once it is open (page/interpreter.js: attachTerminal).
export async function openPty() {
  const { openpty } = await import("xterm-pty");
  return openpty();
}

// termios as the pty keeps it, and as Emscripten's TTY ioctls take it.
export function toEmscripten(termios) {
  return {
    c_iflag: termios.iflag,
    c_oflag: termios.oflag,
    c_cflag: termios.cflag,
    c_lflag: termios.lflag,
    c_cc: [...termios.cc],
  };
}

export function fromEmscripten(termios) {
  return {
    iflag: termios.c_iflag,
    oflag: termios.c_oflag,
    cflag: termios.c_cflag,
    lflag: termios.c_lflag,
    cc: termios.c_cc,
  };
}
