"""One module per `smscast` subcommand: `register(subparsers)` and `run(args) -> int`.

`register` must import nothing heavy (no textual, twilio or pandas); `run` imports what it
needs. `register` sets `handler=run` on its subparser.
"""
