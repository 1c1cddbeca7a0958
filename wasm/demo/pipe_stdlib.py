"""The page's standard library beyond its core: each module fetched from the page when it is first imported.

The page starts with a core, the modules the interpreter and the console
import before the first prompt and at the first Tab, in the zip on sys.path.
Every other module of the page's stdlib is in a unit, one file on the page
per top-level package or module (`stdlib/asyncio.bin` holds all of asyncio),
fetched whole, synchronously, from the worker the first time one of its
modules is imported, then kept. The manifest (MANIFEST, written with the page)
says which unit holds each module and where: a module it does not list is
not in the page's stdlib, and its import fails at once, without a request.
C modules the build made side modules are units too (or in one, with the
package that imports them): written into lib-dynload when first imported, and
loaded from there as any extension module is.

Fetching goes through a device the worker provides (DEVICE): the URL written
to it, the HTTP status, a newline and the body read back. Imports only, no
other module: this runs before the console imports anything.
"""

from __future__ import annotations

import _frozen_importlib
import _imp
import marshal
import os
import sys

DEVICE = "/dev/pipe-fetch"
MANIFEST = os.path.join(os.path.dirname(__file__), "pipe_stdlib.marshal")
UNITS = "stdlib/"  # relative to the page
PYC_HEADER = 16  # magic, flags and the source's date and size (PEP 552)


def fetch(url: str) -> tuple[int, bytes]:
    """`url`'s HTTP status and body, fetched by the worker (status 0: the request itself failed)."""
    with open(DEVICE, "r+b", buffering=0) as device:
        device.write(url.encode())
        response = device.readall()
    status, _, body = response.partition(b"\n")
    return int(status), body


class PageStdlib:
    """A meta path finder and loader for the modules of the manifest, after the core zip's finders."""

    def __init__(self, manifest: dict, stdlib_dir: str) -> None:
        # name: (unit, offset, length, form ("pyc", "py" or "ext": a side module), is_package, path relative to the
        # stdlib)
        self.modules = manifest["modules"]
        self.stdlib_dir = stdlib_dir
        self.units: dict[str, bytes] = {}

    def find_spec(self, name, path=None, target=None):
        entry = self.modules.get(name)
        if entry is None:
            return None
        origin = os.path.join(self.stdlib_dir, entry[5])
        spec = _frozen_importlib.ModuleSpec(name, self, origin=origin, is_package=entry[4])
        spec.has_location = True
        return spec

    def create_module(self, spec):
        if self.modules[spec.name][3] != "ext":
            return None
        with open(spec.origin, "wb") as file:
            file.write(self.data(spec.name))
        return _imp.create_dynamic(spec)

    def exec_module(self, module) -> None:
        name = module.__spec__.name
        form = self.modules[name][3]
        if form == "ext":
            _imp.exec_dynamic(module)
            return
        data = self.data(name)
        if form == "pyc":
            code = marshal.loads(data[PYC_HEADER:])
        else:
            code = compile(data, module.__spec__.origin, "exec", dont_inherit=True)
        exec(code, module.__dict__)

    def get_source(self, name: str) -> str | None:
        """The source, for tracebacks, where the page ships it (`demo --stdlib sources`)."""
        entry = self.modules.get(name)
        if entry is None or entry[3] != "py":
            return None
        return self.data(name).decode()

    def data(self, name: str) -> bytes:
        """The module's bytes (bytecode, source or side module), from its unit."""
        unit, offset, length, _, _, _ = self.modules[name]
        return self.unit(name, unit)[offset : offset + length]

    def unit(self, name: str, unit: str) -> bytes:
        if unit not in self.units:
            url = f"{UNITS}{unit}.bin"
            status, body = fetch(url)
            if status != 200:
                reason = f"HTTP {status}" if status else "the request failed"
                raise ImportError(f"the page could not fetch {url} for {name}: {reason}", name=name)
            self.units[unit] = body
        return self.units[unit]


def install() -> None:
    """Serve the manifest's modules, after every finder already there (the core zip's first)."""
    if not os.path.exists(MANIFEST) or any(isinstance(f, PageStdlib) for f in sys.meta_path):
        return
    with open(MANIFEST, "rb") as file:
        manifest = marshal.load(file)
    sys.meta_path.append(PageStdlib(manifest, os.path.dirname(__file__)))
