"""How an error reaches the person in the app: a sentence and a next step, never a traceback.

An error the core expected (`SmscastError`) carries its own sentence and hint. Anything else is
described by what the app was doing when it happened (`OPERATIONS`), and the next step says
what is true after *that* operation failed: a contacts file that could not be read saved
nothing, a crashed engine left its campaign in the journal. No sentence claims more.
"""

from __future__ import annotations

from typing import NamedTuple


class Operation(NamedTuple):
    """What the app was doing (after "while ...") and what is true, and to do, once it failed."""

    doing: str
    after: str


#: Every operation the app reports a failure of, by the title its notification shows.
OPERATIONS: dict[str, Operation] = {
    "Settings": Operation(
        "reading your settings",
        "Nothing was sent. Check your config file and .env, then start smscast again.",
    ),
    "Account": Operation(
        "reading your Twilio account",
        "Nothing was sent. Check your connection and credentials, then open Account (1) again.",
    ),
    "Demo": Operation(
        "starting the demo sandbox", "Nothing was sent. Try starting the demo again."
    ),
    "Contacts": Operation(
        "reading the contacts file",
        "Nothing was saved or sent. Check the file ('smscast check FILE' reads it the same "
        "way) and open it again.",
    ),
    "Audience": Operation(
        "counting the audience",
        "Nothing was saved or sent. Change a filter or open the file again to retry.",
    ),
    "Plan": Operation(
        "building the messages",
        "Nothing was saved or sent. Edit the template or open the file again to retry.",
    ),
    "Template": Operation(
        "reading the template", "Nothing was saved or sent. Edit the template to retry."
    ),
    "Send": Operation(
        "saving the campaign to the journal",
        "Nothing was sent. Look in History (7): a campaign listed there can be resumed; "
        "otherwise confirm the send again.",
    ),
    "Engine": Operation(
        "sending",
        "Your campaign is in the journal: resume it from History (7) or with 'smscast "
        "resume' (nobody who was sent a message gets it again).",
    ),
    "History": Operation(
        "reading the journal", "Nothing was changed. Open History (7) again to retry."
    ),
    "Refresh": Operation(
        "refreshing delivery statuses",
        "The statuses recorded before are kept in the journal. Try the refresh again.",
    ),
    "Cancel": Operation(
        "canceling the campaign",
        "What was canceled is in the journal; nothing is canceled twice. Try the cancel "
        "again from History (7).",
    ),
    "Export": Operation(
        "exporting the results",
        "The journal is unchanged. Try the export again, or choose another file.",
    ),
    "Retry": Operation(
        "choosing whom to retry",
        "Nothing was saved or sent. Press t on History (7) to try again.",
    ),
    "Follow-up": Operation(
        "choosing whom to follow up",
        "Nothing was saved or sent. Press f on History (7) to try again.",
    ),
    "Replies": Operation(
        "reading replies",
        "Replies stored before are kept in the journal. Press g on Replies (8) to try again.",
    ),
    "Reply": Operation(
        "sending your reply",
        "Send the same text again to retry: smscast first asks Twilio whether the last try "
        "went, so it never goes twice.",
    ),
    "Opt-out": Operation(
        "recording your decision on a possible opt-out",
        "Nothing was changed. Decide again on Replies (8): y or n.",
    ),
}

#: When the operation is not known: a sentence that claims nothing about what was kept.
_UNKNOWN = Operation("working", "Try again.")

#: Characters of an unexpected error's text quoted at most (it may hold a file's content).
DETAIL_LIMIT = 200


def describe_error(error: BaseException, operation: str | None = None) -> str:
    """`_describe_error`, scrubbed of secrets (`campaigns.secrets.scrub`)."""
    from campaigns.secrets import scrub

    return scrub(_describe_error(error, operation))


def _describe_error(error: BaseException, operation: str | None = None) -> str:
    """`SmscastError.full()` for the errors a person can meet; otherwise a calm sentence saying
    what failed while doing `operation` (a key of `OPERATIONS`) and what is true now."""
    from campaigns.errors import SmscastError
    from campaigns.untrusted import excerpt, visible

    if isinstance(error, SmscastError):
        return error.full()
    step = OPERATIONS.get(operation or "", _UNKNOWN)
    if isinstance(error, OSError):
        name = f" ({visible(error.filename)})" if error.filename else ""
        reason = excerpt(error.strerror or error, DETAIL_LIMIT)
        return (
            f"{reason}{name} while {step.doing}.\nCheck the path and its permissions. {step.after}"
        )
    detail = excerpt(f"{type(error).__name__}: {error}", DETAIL_LIMIT)
    return (
        f"Something unexpected went wrong while {step.doing}: {detail}.\n"
        f"{step.after} Report this if it keeps happening."
    )
