"""`python -m campaigns` is the same as the `smscast` console script."""

import sys

from campaigns.cli import main

sys.exit(main())
