"""A CPython source tree: where the pristine release comes from, and the patch series applied to it."""
