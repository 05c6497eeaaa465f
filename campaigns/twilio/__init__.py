"""Speaking to Twilio. SDK-free: `models` (the values the core passes around), `protocols`
(the gateway's seams), `credentials`, `limits` (what Twilio allows), `convert`, `errors` (what
Twilio's errors mean) and `http_transport` (the send path's HTTP pool). The SDK adapter, the
only importers of twilio: `gateway`, `session`, `http_clients`, `translate`.

Nothing is imported here, so importing `campaigns.twilio.models` never loads the SDK.
"""
