"""``python -m asgiweb``: the ``asgiweb`` command (see :mod:`asgiweb.cli`)."""

import sys

from .cli import main

sys.exit(main())
