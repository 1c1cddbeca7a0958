"""Downloads against a real HTTP server on loopback."""

import hashlib
import http.server
import socket
import threading

import pytest

from pipe_cpython.core.errors import HarnessError
from pipe_cpython.host import download

BODY = b"release tarball bytes " * 1000


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/truncated":
            self.send_response(200)
            self.send_header("Content-Length", str(len(BODY) * 2))
            self.end_headers()
            self.wfile.write(BODY)
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if self.path == "/missing":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_download_with_checksum(server, tmp_path):
    dest = tmp_path / "a.tar.xz"
    download.fetch_url(f"{server}/ok", dest, hashlib.sha256(BODY).hexdigest())
    assert dest.read_bytes() == BODY
    assert not (tmp_path / "a.tar.xz.part").exists()


def test_wrong_checksum_keeps_nothing(server, tmp_path):
    dest = tmp_path / "a.tar.xz"
    with pytest.raises(HarnessError, match="checksum mismatch") as info:
        download.fetch_url(f"{server}/ok", dest, "0" * 64)
    assert "sha256" in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_truncated_download_keeps_nothing(server, tmp_path):
    with pytest.raises(HarnessError, match="was truncated"):
        download.fetch_url(f"{server}/truncated", tmp_path / "a.tar.xz")
    assert list(tmp_path.iterdir()) == []


def test_http_error(server, tmp_path):
    with pytest.raises(HarnessError, match="404"):
        download.fetch_url(f"{server}/missing", tmp_path / "a.tar.xz")


def test_unreachable_host_says_what_to_do(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(HarnessError, match="cannot reach") as info:
        download.fetch_url(f"http://127.0.0.1:{port}/x.tar.xz", tmp_path / "x.tar.xz")
    assert "--source debian" in info.value.hint


def test_verify_detects_corruption(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"abc")
    download.verify(path, hashlib.sha256(b"abc").hexdigest(), "test")
    with pytest.raises(HarnessError, match="checksum mismatch"):
        download.verify(path, hashlib.sha256(b"abd").hexdigest(), "test")
