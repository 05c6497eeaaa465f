"""People texting back: inbound Messages, Twilio's default keyword handling, scripted replies.

An inbound SMS is a Message with `direction` `inbound` and `status` `received`, `from` the
person and `to` our number, listed by the 2010 API with the same filters and paging as any
other message (it is stored in the same `MessageStore`).

Twilio's default opt-out handling on long codes and toll-free numbers, as its support article
"Twilio support for opt-out keywords (SMS STOP filtering)" describes it:
- a message that is only an opt-out keyword (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT,
  REVOKE, OPTOUT) blocks later creates to that person with 21610 ("Only single-word messages
  will trigger the block": "STOP PLEASE" does not); START, YES, UNSTOP lift the block; HELP and
  INFO get the help text;
- without a Messaging Service the block is per number; a number in a Messaging Service blocks
  the whole service and its pool ("Unlike with a Messaging Service, opt-out keyword replies will
  not apply to the entire pool": Twilio's Proxy page, by contrast). The sandbox's one service
  holds every SMS-capable sender, so a STOP to any of them blocks all of them;
- Twilio answers each keyword with its own confirmation SMS, an outbound message
  (`direction` `outbound-reply`) from our number to the person, at no cost.

Assumed where Twilio documents nothing (the sandbox takes the stricter side):
- matching is case-insensitive, ignores surrounding white space and ONE trailing `.` or `!`
  ("Stop." blocks: more 21610s, never fewer);
- a keyword that changes nothing (STOP while already opted out, HELP while opted out) gets no
  confirmation (Twilio's toll-free article: an opted-out person who sends HELP gets no reply).

The keyword lists here are the sandbox's own copy on purpose (see `campaigns.sandbox.store`):
smscast's classifier (`campaigns.conversation.keywords`) must be checked against them, not
share them.

Control endpoint (outside Twilio's namespace, no auth, loopback only):
`POST /_sandbox/inbound` with form fields From, To, Body -> 201 and the inbound Message.
"""

from __future__ import annotations

import asyncio
import hashlib
import time

from aiohttp import web

from campaigns.sandbox import render
from campaigns.sandbox.config import new_sid
from campaigns.sandbox.http import Resource, error, json_bytes, parse_form
from campaigns.sandbox.rules import is_e164
from campaigns.sandbox.state import SandboxState
from campaigns.sandbox.store import Message

OPT_OUT = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
OPT_IN = frozenset({"START", "YES", "UNSTOP"})
HELP = frozenset({"HELP", "INFO"})

#: Twilio's default confirmation texts (its support article quotes them).
CONFIRM_OPT_OUT = (
    "You have successfully been unsubscribed. You will not receive any more messages from this"
    " number. Reply START to resubscribe."
)
CONFIRM_OPT_IN = (
    "You have successfully been re-subscribed to messages from this number. Reply HELP for"
    " help. Reply STOP to unsubscribe. Msg&Data Rates May Apply."
)
CONFIRM_HELP = "Reply STOP to unsubscribe. Msg&Data Rates May Apply."

#: What scripted people answer (a thread each: STOP then START is one person's two texts).
SCRIPTS: tuple[tuple[str, ...], ...] = (
    ("STOP",),
    ("HELP",),
    ("Who is this? How did you get my number?",),
    ("Thanks, see you there!",),
    ("stop texting me",),
    ("STOP", "START"),
)


def keyword(body: str) -> str | None:
    """The keyword a whole message is, upper-cased, or None (see the module's assumptions)."""
    word = body.strip()
    if word[-1:] in (".", "!"):
        word = word[:-1]
    word = word.upper()
    if word in OPT_OUT or word in OPT_IN or word in HELP:
        return word
    return None


class Inbound(SandboxState):
    """Inbound messages and Twilio's keyword rules over the shared state."""

    def inbound_resources(self) -> list[Resource]:
        """The control endpoint (the server routes it without Twilio's auth and faults)."""
        return [("/_sandbox/inbound", {"POST": self.post_inbound})]

    async def post_inbound(self, request: web.Request) -> web.StreamResponse:
        form, _ = parse_form(await request.read())
        person, ours, body = form.get("From", ""), form.get("To", ""), form.get("Body", "")
        if not is_e164(person):
            return error(21211, f"Invalid 'From' Phone Number: {person}", 400)
        if ours not in self.queues:
            return error(21606, f"The 'To' number {ours} is not an SMS number of this account", 400)
        message = self.receive(person, ours, body)
        return json_bytes(render.message_json(message, self.config.account_sid, time.time()), 201)

    # ------------------------------------------------------------------ the rules
    def scope(self, ours: str) -> tuple[str, ...]:
        """What an opt-out to `ours` blocks: the number, or its whole Messaging Service."""
        if ours in self.queues:
            return (self.config.messaging_service_sid, *self.queues)
        return (ours,)

    def receive(self, person: str, ours: str, body: str) -> Message:
        """Store one text from `person` to our number `ours`, then apply Twilio's keyword rules."""
        now = time.time()
        message = Message(
            sid=new_sid("SM"),
            to=ours,
            from_=person,
            body=body,
            segments=1,
            num_media=0,
            created=now,
            accepted_until=now,
            start=now,
            sent_at=now,
            final_at=now,
            outcome="received",
            error_code=None,
            price=0.0,
            service_sid=self.config.messaging_service_sid if ours in self.queues else None,
            direction="inbound",
        )
        self.store.add(message)
        word = keyword(body)
        if word is not None:
            self._apply(word, person, ours)
        return message

    def _apply(self, word: str, person: str, ours: str) -> None:
        keys = self.scope(ours)
        blocked = (ours, person) in self.blocked
        if word in OPT_OUT:
            if not blocked:
                self.blocked.update((key, person) for key in keys)
                self._confirm(person, ours, CONFIRM_OPT_OUT)
        elif word in OPT_IN:
            if blocked:
                self.blocked.difference_update((key, person) for key in keys)
                self._confirm(person, ours, CONFIRM_OPT_IN)
        elif not blocked:
            self._confirm(person, ours, CONFIRM_HELP)

    def _confirm(self, person: str, ours: str, text: str) -> None:
        """Twilio's own confirmation SMS: an outbound-reply message on our number's queue."""
        queue = self.queues[ours]
        now = time.time()
        start, sent = queue.enqueue(1, now)
        status, code = self.config.outcome(person)
        self.store.add(
            Message(
                sid=new_sid("SM"),
                to=person,
                from_=ours,
                body=text,
                segments=1,
                num_media=0,
                created=now,
                accepted_until=now,
                start=start,
                sent_at=sent,
                final_at=sent + self.config.delivery_delay / self.speed,
                outcome=status,
                error_code=code,
                price=0.0,
                service_sid=None,
                direction="outbound-reply",
            )
        )

    # ------------------------------------------------------------- scripted replies
    def script_for(self, person: str) -> tuple[str, ...] | None:
        """The thread `person` answers with (None: they do not answer), fixed per seed."""
        share = self.config.reply_share
        if share <= 0.0 or person in self.scripted:
            return None
        digest = hashlib.blake2b(f"{self.config.seed}:reply:{person}".encode(), digest_size=8)
        value = int.from_bytes(digest.digest(), "big")
        if value / 2.0**64 >= share:
            return None
        return SCRIPTS[value % len(SCRIPTS)]

    def after_create(self, message: Message) -> None:
        """After a create: if its person answers, their texts arrive a few seconds after
        delivery (`reply_delay`, divided by `speedup`), one `reply_delay` apart."""
        if message.outcome != "delivered":
            return
        script = self.script_for(message.to)
        if script is None:
            return
        self.scripted.add(message.to)
        loop = asyncio.get_running_loop()
        gap = self.config.reply_delay / self.speed
        first = max(0.0, message.final_at - time.time()) + gap
        for index, text in enumerate(script):
            loop.call_later(first + index * gap, self.receive, message.to, message.from_, text)
