"""The command line: the parser, each command, the flags they share."""
