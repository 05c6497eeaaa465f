"""Speaking to Twilio: the only importer of twilio (the gateway), its errors, the HTTP pool."""
