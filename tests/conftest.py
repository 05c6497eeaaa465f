"""Shared fixtures.

`sandbox`: a fresh `campaigns.sandbox.Sandbox` with the default config (a trial account) on an
ephemeral 127.0.0.1 port, served from a background thread for the duration of one test. Use
`sandbox.base_url`, `sandbox.account_sid`, `sandbox.auth_token`, `sandbox.phone_number`,
`sandbox.messaging_service_sid` and `sandbox.messages(to=None)`.

`sandbox_factory`: call it with a `SandboxConfig` (or keyword arguments for one) to get more
sandboxes, each stopped at the end of the test:

    def test_full_account(sandbox_factory):
        sb = sandbox_factory(trial=False, latency_ms=20)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from campaigns.sandbox import Sandbox, SandboxConfig


@pytest.fixture
def sandbox_factory() -> Iterator[Callable[..., Sandbox]]:
    """Start sandboxes on demand: `factory(config)` or `factory(**config_fields)`."""
    with ExitStack() as stack:

        def start(config: SandboxConfig | None = None, **fields: Any) -> Sandbox:
            if config is not None and fields:
                raise TypeError("give a SandboxConfig or keyword fields, not both")
            return stack.enter_context(Sandbox(config or SandboxConfig(**fields)))

        yield start


@pytest.fixture
def sandbox(sandbox_factory: Callable[..., Sandbox]) -> Sandbox:
    """A running default sandbox (trial account), stopped after the test."""
    return sandbox_factory()
