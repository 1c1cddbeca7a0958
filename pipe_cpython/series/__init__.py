"""What differs from one CPython series to the next, as data: one profile per series."""
