"""``python -m slotbot.cli``: the ``slotbot`` command."""

import sys

from slotbot.cli.main import main

sys.exit(main())
