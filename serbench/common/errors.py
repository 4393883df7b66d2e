"""Errors a user can fix: the CLI prints them as one line and exits with code 2."""


class UserError(Exception):
    """Bad input from the user (an unknown name, a bad file): one clear line, no traceback."""


def unknown_name(kind: str, name: str, known: list[str]) -> UserError:
    """The error for a name that is not in a registry, listing the names that are."""
    return UserError(f"unknown {kind} {name!r}; known {kind}s: {', '.join(sorted(known))}")
