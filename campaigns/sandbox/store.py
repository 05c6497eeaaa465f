"""The sandbox's memory: messages and their lifecycle, sender queues, filtered listing.

A message's status is never advanced by timers: the store records when it starts sending,
when it is sent and when its receipt arrives, and `status_at(now)` reads the status off those
times. That keeps a create O(1) and the server fast with thousands of messages in flight.

Statuses here are Twilio's wire words, written as plain strings on purpose, not taken from
smscast's vocabulary (`campaigns.store.statuses`): the sandbox stands in for Twilio, so what it
answers must follow Twilio's documentation alone; were it to share smscast's sets, a mistake in
them would be made by the fake Twilio too, and no test could see it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from campaigns.sandbox.config import SandboxConfig, SenderSpec


class Message:
    """One stored message and the times of its lifecycle (epoch seconds).

    `direction` is Twilio's word: `outbound-api` for a create, `outbound-reply` for Twilio's
    own keyword confirmations, `inbound` for a person's text (whose status is `received`).
    """

    __slots__ = (
        "accepted_until",
        "body",
        "canceled_at",
        "created",
        "deleted",
        "direction",
        "error_code",
        "final_at",
        "from_",
        "num_media",
        "outcome",
        "price",
        "scheduled_until",
        "segments",
        "sent_at",
        "service_sid",
        "sid",
        "start",
        "status_callback",
        "to",
    )

    def __init__(
        self,
        *,
        sid: str,
        to: str,
        from_: str,
        body: str,
        segments: int,
        num_media: int,
        created: float,
        accepted_until: float,
        start: float,
        sent_at: float,
        final_at: float,
        outcome: str,
        error_code: int | None,
        price: float,
        service_sid: str | None,
        scheduled_until: float = 0.0,
        status_callback: str = "",
        direction: str = "outbound-api",
    ) -> None:
        self.sid = sid
        self.to = to
        self.from_ = from_
        self.body = body
        self.segments = segments
        self.num_media = num_media
        self.created = created
        self.accepted_until = accepted_until
        self.start = start
        self.sent_at = sent_at
        self.final_at = final_at
        self.outcome = outcome
        self.error_code = error_code
        self.price = price
        self.service_sid = service_sid
        #: A scheduled message (ScheduleType=fixed) is `scheduled` until this moment (its SendAt).
        self.scheduled_until = scheduled_until
        #: The StatusCallback URL the message was created with ("" for none).
        self.status_callback = status_callback
        #: When `Status=canceled` was accepted (only ever while `scheduled`).
        self.canceled_at: float | None = None
        #: DELETE answered 204: the message is gone from fetch and every listing.
        self.deleted = False
        self.direction = direction

    def status_at(self, now: float) -> str:
        """Twilio's status word for this message at time `now`."""
        if self.canceled_at is not None:
            return "canceled"
        if self.outcome == "received":  # inbound: received the moment it is stored
            return "received"
        if now < self.scheduled_until:
            return "scheduled"
        if now < self.accepted_until:
            return "accepted"
        if now < self.start:
            return "queued"
        if now < self.sent_at:
            return "sending"
        if self.outcome == "failed":
            return "failed"
        if now < self.final_at:
            return "sent"
        return self.outcome

    def updated_at(self, now: float) -> float:
        """When the status last changed, as of `now`."""
        if self.canceled_at is not None:
            return self.canceled_at
        for moment in (self.final_at, self.sent_at, self.start, self.accepted_until):
            if now >= moment > self.created:
                if moment == self.final_at and self.outcome == "failed":
                    continue
                return moment
        return self.created

    def sent_time(self, now: float) -> float | None:
        """`date_sent`: set once the message left (sent, delivered, undelivered)."""
        if now >= self.sent_at and self.outcome != "failed" and self.canceled_at is None:
            return self.sent_at
        return None


@dataclass
class SenderQueue:
    """A sender's queue: it drains `rate` segments per second; `next_free` is when it idles."""

    spec: SenderSpec
    rate: float
    next_free: float = 0.0

    def backlog(self, now: float) -> float:
        """Seconds of traffic waiting on this sender at `now`."""
        return max(0.0, self.next_free - now)

    def enqueue(self, segments: int, earliest: float) -> tuple[float, float]:
        """Reserve the sender for `segments`; returns (start sending, sent)."""
        start = max(earliest, self.next_free)
        sent = start + segments / self.rate
        self.next_free = sent
        return start, sent


class MessageStore:
    """Messages in creation order with an index by sid and by To number."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.messages: list[Message] = []
        self.by_sid: dict[str, int] = {}
        self.by_to: dict[str, list[Message]] = {}
        speed = max(config.speedup, 1e-9)
        self.queues: dict[str, SenderQueue] = {
            s.address: SenderQueue(s, s.throughput * speed) for s in config.senders if s.sms
        }

    def add(self, message: Message) -> None:
        """Store a new message (it becomes the newest in every listing)."""
        self.by_sid[message.sid] = len(self.messages)
        self.messages.append(message)
        self.by_to.setdefault(message.to, []).append(message)

    def get(self, sid: str) -> Message | None:
        """The message with this sid, or None (also once it was deleted)."""
        index = self.by_sid.get(sid)
        if index is None:
            return None
        message = self.messages[index]
        return None if message.deleted else message

    def delete(self, message: Message) -> None:
        """Forget `message` for fetch and listings. It keeps its place in the lists (a page
        token may still point at it) and is skipped wherever messages are read."""
        message.deleted = True

    def newest_first(self, to: str | None, after_sid: str | None) -> Iterator[Message]:
        """Messages (to one number, or all), newest first, strictly older than `after_sid`."""
        pool = self.messages if to is None else self.by_to.get(to, [])
        end = len(pool)
        if after_sid is not None:
            index = self.by_sid.get(after_sid)
            if index is None:
                return iter(())
            anchor = self.messages[index]
            if to is None:
                end = self.by_sid[after_sid]
            else:
                end = next((i for i, m in enumerate(pool) if m is anchor), 0)
        return (pool[i] for i in range(end - 1, -1, -1) if not pool[i].deleted)
