"""Settings: flags, the environment, .env and the config file, in that order."""
