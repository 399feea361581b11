"""``python -m sim``: see :mod:`sim.cli`."""

import gc
import sys

from sim.cli import main

status = main()
gc.freeze()  # no collection at exit: the operating system frees it all at once (about 0.2 s)
sys.exit(status)
