"""`python -m campaigns.cli` = `smscast`."""

import sys

from campaigns.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
