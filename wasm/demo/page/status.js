// The status line and the progress bar above the terminal.

const status = document.getElementById("status");
const progressBar = document.getElementById("progress");

export function showStatus(text, kind) {
  status.textContent = text;
  status.className = kind;
  status.hidden = false;
}

export function hideStatus() {
  status.hidden = true;
}

export function hideProgress() {
  progressBar.hidden = true;
}

// A passing remark (a refused clipboard): shown in the status line for a few seconds.
export function showNote(text) {
  showStatus(text, "note");
  // Only the note itself: whatever the status line says by then (an error, say) stays.
  setTimeout(() => status.textContent === text && hideStatus(), 4000);
}

// `downloads`: file name -> {received, total} bytes.
export function showProgress(downloads) {
  const files = Object.values(downloads);
  const received = files.reduce((sum, file) => sum + file.received, 0);
  // A compressed response's length is of the compressed bytes: past it, the total is unknown.
  const known = files.every((file) => file.total >= file.received && file.total > 0);
  const total = files.reduce((sum, file) => sum + file.total, 0);
  const megabytes = (bytes) => (bytes / 1e6).toFixed(1);
  progressBar.hidden = false;
  if (known) {
    progressBar.max = total;
    progressBar.value = received;
    showStatus(`Loading Python: ${megabytes(received)} of ${megabytes(total)} MB`, "loading");
  } else {
    progressBar.removeAttribute("value");
    showStatus(`Loading Python: ${megabytes(received)} MB`, "loading");
  }
}
