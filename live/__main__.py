"""``python -m live [options]``: serve the live stack (what ``twin serve`` runs)."""

import sys

from live.entrypoints.serve import main

sys.exit(main())
