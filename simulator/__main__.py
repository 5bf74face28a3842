"""``python -m simulator`` is the ``simulate`` command."""

import sys

from .cli import main

sys.exit(main())
