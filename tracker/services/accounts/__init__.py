"""Units, users and signing in."""
