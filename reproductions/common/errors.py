"""User-facing errors: what went wrong, what was expected, how to fix it."""


class UserError(Exception):
    """A problem with the user's input (paths, names, options, data).

    The command-line entry points print the message as one paragraph and exit
    with status 2 and no traceback; everything else is a bug and keeps its
    traceback.
    """

    exit_code = 2
