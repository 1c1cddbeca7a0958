"""What can be built from a prepared tree, natively and for WebAssembly, and the toolchains that build it."""
