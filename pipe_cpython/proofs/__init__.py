"""What proves a build sound, by running it: test runners, fuzzers, the whole suite, real-world code."""
