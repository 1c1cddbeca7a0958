"""The host machine: processes, Debian packages and roots, the archive, downloads, git."""
