"""`python -m campaigns` is the same as the `smscast` console script."""

import sys

from campaigns.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
