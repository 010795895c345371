"""``python -m simulator`` is the ``virality`` command (for environments without the script)."""

import sys

from simulator.cli import main

if __name__ == "__main__":
    sys.exit(main())
