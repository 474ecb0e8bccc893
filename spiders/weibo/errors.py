"""Errors raised by the Weibo parsers; the spider turns them into ``error`` observations."""


class LayoutError(ValueError):
    """The payload does not have a layout this parser knows (the reason says what is missing)."""
