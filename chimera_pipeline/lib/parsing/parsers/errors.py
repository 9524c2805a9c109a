"""The one error a parser raises on purpose."""


class ParseError(ValueError):
    """The file is not what its kind promises; the message is stored in ``parse_error``."""
