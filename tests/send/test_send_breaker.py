"""The circuit breaker on its own (the engine's use of it: tests/send/test_engine_breaker.py)."""

from __future__ import annotations

from campaigns.send.breaker import CircuitBreaker, tripped_message


def test_the_same_code_threshold_times_in_a_row_trips_then_counts_afresh() -> None:
    breaker = CircuitBreaker(3)
    assert [breaker.failed(21408) for _ in range(3)] == [0, 0, 3]
    assert breaker.streak == 0
    assert [breaker.failed(21408) for _ in range(3)] == [0, 0, 3]


def test_a_different_code_or_a_success_ends_the_streak() -> None:
    breaker = CircuitBreaker(3)
    breaker.failed(30007)
    breaker.failed(30007)
    assert breaker.failed(21408) == 0 and breaker.streak == 1
    breaker.failed(21408)
    breaker.succeeded()
    assert breaker.failed(21408) == 0 and breaker.streak == 1


def test_stop_replies_and_failures_without_a_code_never_trip_it() -> None:
    breaker = CircuitBreaker(2)
    breaker.failed(30007)
    assert breaker.failed(21610) == 0 and breaker.streak == 0
    assert all(breaker.failed(21610) == 0 for _ in range(10))
    assert breaker.failed(None) == 0 and breaker.streak == 0


def test_the_message_says_what_failed_and_how_to_go_on() -> None:
    reason, hint = tripped_message(30007, 20, "c-1")
    assert reason.startswith("20 recipients in a row failed with error 30007")
    assert hint.endswith("Then run 'smscast resume c-1'.")
    reason, hint = tripped_message(99999, 5, "c-1")
    assert "Twilio error 99999." in reason and "Twilio's page" in hint
