"""The browser page and the wheels for the WebAssembly fork."""
