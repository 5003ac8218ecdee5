"""``python -m server.cli``: the ``callforce`` command."""

import sys

from server.cli import main

sys.exit(main())
