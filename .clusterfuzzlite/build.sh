#!/bin/bash -eu
# OSS-Fuzz's `compile` runs this in its builder: the patched CPython (PIPE_CPYTHON_VERSION, default the newest
# series in patches/) built with the builder's $CC, $CFLAGS and $LIB_FUZZING_ENGINE, and CPython's fuzz_pycompile
# linked against it; $OUT gets the target, its dictionary (CPython's plus tests/fuzz-compiler/pipe.dict) and
# its seed corpus (the conformance suite's and the spec's programs).
cd "$SRC/pipe-cpython"
export PIPE_CPYTHON_CACHE="$WORK/pipe-cpython"
series=()
if [ -n "${PIPE_CPYTHON_VERSION:-}" ]; then
  series=(--cpython "$PIPE_CPYTHON_VERSION")
fi
# The fuzzer needs no optional module with system headers; the builder image may lack some.
python3 -m pipe_cpython fuzz-compiler "${series[@]}" --allow-missing-modules --oss-fuzz "$OUT"
