"""``python -m simulator`` is the ``simulate`` command."""

import sys

from .entry import main

sys.exit(main())
