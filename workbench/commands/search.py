"""Placeholder: the 'search' command group is being written."""


def register(subparsers) -> None:  # noqa: ARG001
    return None
