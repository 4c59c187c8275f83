"""Errors the suite's builders raise for bad user input."""


class DatasetInputError(ValueError):
    """The manual-download folder is missing, has the wrong layout, or holds
    an unreadable file. The message names what was expected, the offending
    path, and where the dataset officially comes from."""
