"""Virtual environments of the fork, and the developer tools installed in them."""
