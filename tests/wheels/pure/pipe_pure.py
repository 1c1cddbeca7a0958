"""A pure-Python module for pipe-cpython's wheel tests; plain Python, so any interpreter can build its wheel."""


def shout(text):
    return text.upper() + "!"
