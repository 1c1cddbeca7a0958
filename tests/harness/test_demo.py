"""The page's pieces that run without a browser: its console's protocol, and the assembled static copy."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from pipe_cpython.core import project
from pipe_cpython.core.errors import HarnessError
from pipe_cpython.web import demo

CONSOLE = project.DEMO_PAGE / "pipe_console.py"
CONTROL = re.compile(r"\x1b\]7707;(\w+);(.*?)\x07")
REQUEST = "\x1b]7707;complete;"


def console(*lines: str, entry: str = "__import__('pipe_console').interact()") -> tuple[list, str]:
    """Run the page's console on `lines` as stdin: its control messages, and its output without them.

    Unbuffered and both streams in one, as the page's worker sees them.
    """
    result = subprocess.run(
        [sys.executable, "-c", entry],
        input="".join(line + "\n" for line in lines),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=CONSOLE.parent,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        timeout=60,
    )
    assert result.returncode == 0, result.stdout
    messages = [(kind, json.loads(payload)) for kind, payload in CONTROL.findall(result.stdout)]
    return messages, CONTROL.sub("", result.stdout)


def completions(messages) -> list[dict]:
    return [payload for kind, payload in messages if kind == "completions"]


def test_a_request_is_answered_with_rlcompleters_matches_and_never_run():
    messages, output = console("import os", REQUEST + "os.pa", REQUEST + "x = 1 + so")
    first, second = completions(messages)
    assert first["word"] == "os.pa"
    assert {"os.path", "os.pathsep", "os.pardir"} <= set(first["matches"])
    assert second == {"word": "so", "matches": ["sorted("]}
    assert "Error" not in output


def test_the_word_ends_at_a_pipe_as_readline_splits_it():
    messages, _ = console(REQUEST + "'abc' |> st", REQUEST + "'abc'|>st")
    for reply in completions(messages):
        assert reply["word"] == "st"
        assert reply["matches"] == ["staticmethod(", "str("]


def test_names_defined_at_the_prompt_complete_and_nothing_is_offered_after_a_delimiter():
    messages, _ = console("pipeline_total = 3", REQUEST + "pipeline_t", REQUEST + "print(")
    named, empty = completions(messages)
    assert named["matches"] == ["pipeline_total"]
    assert empty == {"word": "", "matches": []}


def test_the_console_says_each_time_it_waits_and_runs_in_main():
    messages, output = console("print(__name__)", "1 + 1")
    prompts = [kind for kind, _ in messages if kind == "prompt"]
    assert len(prompts) == 3  # before each line, and before the end of input
    assert "__main__\n" in output and "2\n" in output


def test_precompress_keeps_copies_that_pay_and_lists_every_file(tmp_path):
    site, memo = tmp_path / "site", tmp_path / "memo"
    (site / "vendor").mkdir(parents=True)
    script = b"console.log('pipes');\n" * 2000
    noise = os.urandom(50_000)
    (site / "vendor" / "lib.js").write_bytes(script)
    (site / "python.data").write_bytes(noise)
    (site / "_headers").write_text("/*\n")
    (site / "lib-dynload").mkdir()
    (site / "lib-dynload" / "_decimal.cpython-314-wasm32-emscripten.so").write_bytes(b"\0asm" + script)
    assets = demo.precompress(site, memo)
    # Side modules too: the worker writes them into the file system, fetched by their hash.
    demo.check_listed({"lib-dynload/_decimal.cpython-314-wasm32-emscripten.so": "/lib/x.so"}, assets)
    with pytest.raises(HarnessError, match=r"files of no known type: python\.wasm\.map"):
        demo.check_listed({"python.wasm.map": "/x"}, assets)
    assert assets == json.loads((site / demo.ASSETS).read_text())
    js = assets["vendor/lib.js"]
    assert js["bytes"] == len(script) and js["type"] == "text/javascript"
    assert gzip.decompress((site / "vendor" / "lib.js.gz").read_bytes()) == script
    assert js["gzip"] == (site / "vendor" / "lib.js.gz").stat().st_size
    unpacked = subprocess.run(["brotli", "-d", "-c", site / "vendor" / "lib.js.br"], capture_output=True, check=True)
    assert unpacked.stdout == script and js["br"] == (site / "vendor" / "lib.js.br").stat().st_size
    sha256 = hashlib.sha256(noise).hexdigest()[:16]
    assert assets["python.data"] == {"bytes": len(noise), "type": "application/octet-stream", "sha256": sha256}
    # (no codec would pay for it)
    assert not (site / "python.data.gz").exists() and not (site / "python.data.br").exists()
    assert "_headers" not in assets
    # Brotli's best quality is slow: what it compressed once, it finds in the memo (here, a planted copy).
    kept = memo / f"{hashlib.sha256(script).hexdigest()}.br"
    assert kept.is_file()
    kept.write_bytes(b"planted")
    assert demo.compress(demo.BROTLI, script, memo) == b"planted"


def test_the_page_names_python_wasm_by_the_hash_assets_json_gives_it(tmp_path):
    index, wasm = tmp_path / "index.html", tmp_path / "python.wasm"
    shutil.copy2(project.DEMO_PAGE / "index.html", index)
    wasm.write_bytes(b"\0asm pipes")
    demo.name_wasm_by_hash(index, wasm)
    hashed = demo.precompress(tmp_path)["python.wasm"]["sha256"]
    assert f'data-python-wasm="python.wasm?v={hashed}"' in index.read_text()
    # A page that no longer names it so is refused, not shipped compiling an address that does not exist.
    with pytest.raises(HarnessError, match=r"does not name python\.wasm"):
        demo.name_wasm_by_hash(index, wasm)


def test_a_codec_is_accepted_unless_refused():
    assert demo.accepts(demo.GZIP, "gzip, deflate, br, zstd")
    assert demo.accepts(demo.BROTLI, "gzip, deflate, br, zstd")
    assert demo.accepts(demo.GZIP, "br;q=1.0, gzip;q=0.8")
    assert demo.accepts(demo.GZIP, "*")
    assert not demo.accepts(demo.GZIP, "")
    assert not demo.accepts(demo.GZIP, "br, gzip;q=0")
    assert not demo.accepts(demo.BROTLI, "gzip, deflate")
    assert not demo.accepts(demo.GZIP, "identity")


@pytest.fixture
def dev_server(tmp_path):
    """The dev server on `tmp_path`: a function that precompresses the files written so far and gives a URL."""
    httpd = demo.server(tmp_path, port=0)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()

    def url(name: str) -> str:
        demo.precompress(tmp_path)
        return f"http://127.0.0.1:{httpd.server_address[1]}/{name}"

    yield url
    httpd.shutdown()
    httpd.server_close()


def get(url: str, **headers: str):
    return urllib.request.urlopen(urllib.request.Request(url, headers=headers))


def test_the_dev_server_sends_the_best_copy_the_browser_takes(tmp_path, dev_server):
    script = b"let pipe = 1;\n" * 5000
    (tmp_path / "main.js").write_bytes(script)
    url = dev_server("main.js")
    best = get(url, **{"Accept-Encoding": "gzip, deflate, br, zstd"})
    assert best.headers["Content-Encoding"] == "br"
    assert subprocess.run(["brotli", "-d", "-c"], input=best.read(), capture_output=True).stdout == script
    packed = get(url, **{"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert packed.headers["Content-Type"] == "text/javascript"
    assert packed.headers["Vary"] == "Accept-Encoding"
    assert packed.headers["Cross-Origin-Embedder-Policy"] == "require-corp"
    assert gzip.decompress(packed.read()) == script
    plain = get(url, **{"Accept-Encoding": "identity"})
    assert plain.headers["Content-Encoding"] is None
    assert plain.read() == script


def test_the_dev_server_answers_a_revalidation_of_a_gzip_copy_with_304(tmp_path, dev_server):
    (tmp_path / "python.wasm").write_bytes(b"\0asm" * 50_000)
    url = dev_server("python.wasm")
    first = get(url, **{"Accept-Encoding": "gzip"})
    assert first.read()
    with pytest.raises(urllib.error.HTTPError) as answer:
        get(url, **{"Accept-Encoding": "gzip", "If-Modified-Since": first.headers["Last-Modified"]})
    assert answer.value.code == 304
    assert get(url, **{"Accept-Encoding": "gzip", "If-Modified-Since": "Thu, 01 Jan 1970 00:00:00 GMT"}).status == 200


def test_the_dev_server_lets_browsers_keep_what_is_named_by_its_hash(tmp_path, dev_server):
    (tmp_path / demo.CHUNKS).mkdir()
    (tmp_path / demo.CHUNKS / "editor-6VURU5JB.js").write_text("export const a = 1;\n")
    (tmp_path / "main.js").write_text('import("./chunks/editor-6VURU5JB.js");\n')
    assert "immutable" in get(dev_server(f"{demo.CHUNKS}/editor-6VURU5JB.js")).headers["Cache-Control"]
    (tmp_path / "pipe" / demo.CHUNKS).mkdir(parents=True)
    (tmp_path / "pipe" / demo.CHUNKS / "main-X7.js").write_text("export const b = 2;\n")
    assert "immutable" in get(dev_server(f"pipe/{demo.CHUNKS}/main-X7.js")).headers["Cache-Control"]
    assert "immutable" in get(dev_server("main.js?v=0123456789abcdef")).headers["Cache-Control"]
    assert get(dev_server("main.js")).headers["Cache-Control"] == "no-cache"


def replay(*lines: str) -> tuple[list[tuple[str, object]], str]:
    """The console replaying `lines` as the page does where it cannot be isolated."""
    return console(*lines, entry=f"__import__('pipe_console').interact({len(lines)})")


def test_a_replay_shows_only_what_the_last_line_prints_and_the_next_prompt():
    messages, output = replay("x = 20", "print('earlier')", "x + 1")
    assert output == "21\n>>> "  # prompts go to stdout when stdin is not a terminal
    assert messages[-1] == ("replayed", {"statement_start": 3})


def test_a_replay_says_where_an_open_block_began():
    messages, output = replay("n = 1", "for i in range(3):", "    n += i")
    assert output == "... "
    assert messages[-1] == ("replayed", {"statement_start": 1})
    _, output = replay("n = 1", "for i in range(3):", "    n += i", "", "n")
    assert output == "4\n>>> "


def test_the_first_replay_shows_the_banner_and_an_exit_is_no_replay():
    messages, output = replay()
    assert "with the |> operator" in output and output.endswith(">>> ")
    messages, _ = replay("exit()")
    assert "replayed" not in [kind for kind, _ in messages]


def test_the_pages_modules_import_only_those_listed_before_them():
    """The page's JavaScript is layered as the package is: state, status, sharing, isolation, the interpreter,
    the editor, the terminal, then main.js; no module imports one after it (statically or on demand), and every
    page file exists."""
    order = demo.PAGE_SCRIPTS
    for position, name in enumerate(order):
        source = (demo.PAGE / name).read_text()
        for imported in re.findall(r'^import .* from "\./(.+?)";$|import\("\./(.+?)"\)', source, re.M):
            target = (Path(name).parent / "".join(imported)).as_posix()
            assert target in order[:position], f"{name} imports {target}, which is not listed before it"
    assert all((demo.PAGE / name).is_file() for name in (*demo.PAGE_FILES, *demo.PAGE_SCRIPTS))


def test_the_page_ships_its_scripts_bundled_with_each_repls_own_part_on_demand(tmp_path):
    """main.js holds the modules every page runs; the basic console's editor and PyREPL's pty come as chunks
    main.js fetches when that REPL starts; the workers stay scripts of their own."""
    # Given as a relative path, as `demo --output site` gives it.
    with contextlib.chdir(tmp_path):
        demo.bundle_scripts(demo.install_npm_packages(demo.PAGE, "xterm.js"), Path("."))
    # What every page loads: main.js and the chunks it imports statically (code it shares with the on-demand ones).
    main = (tmp_path / demo.ENTRY_MODULE).read_text()
    static = {tmp_path / name for name in re.findall(r'from"\./([^"]+)"', main)}
    chunks = (tmp_path / demo.CHUNKS).glob("*.js")
    on_demand = {path.name.split("-")[0]: path for path in chunks if path not in static}
    assert on_demand.keys() == {"editor", "xterm"}
    always = main + "".join(path.read_text() for path in static)
    assert all(path.name in always for path in on_demand.values())
    assert "reverse-i-search" not in always and "reverse-i-search" in on_demand["editor"].read_text()
    assert "flowStatus" not in always and "flowStatus" in on_demand["xterm"].read_text()
    assert all((tmp_path / name).is_file() for name in demo.WORKER_SCRIPTS)
    # A classic worker: importScripts, no module syntax.
    assert "importScripts" in (tmp_path / "worker.js").read_text()
    assert not re.search(r"^(import|export) ", (tmp_path / "worker.js").read_text(), re.M)
