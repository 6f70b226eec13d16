"""`python -m newsbot.cli`, the same as the `newsbot` command."""

import sys

from newsbot.cli import main

sys.exit(main())
