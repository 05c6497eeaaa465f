"""A local implementation of the part of Twilio's REST API smscast uses (2010-04-01 JSON).

Spoken to by the real twilio SDK over loopback: demo mode, every end-to-end test and the
benchmarks run against it. See `SandboxConfig` for the knobs and `Sandbox` for the server.
"""

from campaigns.sandbox.config import Faults, SandboxConfig, SenderSpec
from campaigns.sandbox.server import Sandbox

__all__ = ["Faults", "Sandbox", "SandboxConfig", "SenderSpec"]
