"""The conversation after a send: replies collected by polling, classified, acted on."""
