"""How an error reaches the person in the app: a sentence and a next step, never a traceback."""

from __future__ import annotations


def describe_error(error: BaseException) -> str:
    """`_describe_error`, scrubbed of secrets (`campaigns.settings.scrub`)."""
    from campaigns.settings import scrub

    return scrub(_describe_error(error))


def _describe_error(error: BaseException) -> str:
    """`SmscastError.full()` for the errors a person can meet; a calm sentence otherwise."""
    from campaigns.errors import SmscastError

    if isinstance(error, SmscastError):
        return error.full()
    if isinstance(error, OSError):
        name = f" ({error.filename})" if error.filename else ""
        return f"{error.strerror or error}{name}.\nCheck the path and its permissions."
    return (
        f"Something unexpected went wrong: {type(error).__name__}: {error}.\n"
        "Your campaign is saved in the journal; try again, and report this if it keeps happening."
    )
