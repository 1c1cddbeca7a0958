// Share links: the session's lines in the address's fragment (#code=...), run again when the link is opened.

export function encodeSession(lines) {
  const bytes = new TextEncoder().encode(lines.join("\n"));
  let binary = "";
  bytes.forEach((b) => (binary += String.fromCharCode(b)));
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function decodeSession(text) {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(base64 + "===".slice((base64.length + 3) % 4));
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes).split("\n");
}

export function shareLink(lines) {
  const url = new URL(window.location.href);
  url.hash = "code=" + encodeSession(lines);
  return url.toString();
}

// The lines a share link carries, or none.
export function sharedSession() {
  const match = window.location.hash.match(/^#code=([A-Za-z0-9_-]*)$/);
  return match && match[1] ? decodeSession(match[1]) : [];
}
