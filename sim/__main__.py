"""``python -m sim``: see :mod:`sim.cli`.

Two settings of the garbage collector save about 0.3 s of a command's wall time:
importing makes many objects and no garbage, so no collection runs meanwhile (and
the imported objects are then frozen: later collections skip them); and the process
ends without a last collection, since the operating system frees everything at once.

OpenBLAS gets one thread unless the user chose otherwise: numpy and scipy each load their
own copy, whose extra threads spin at import (about 0.1 s of CPU and of wall time on two
cores) and gain nothing here: no command multiplies matrices large enough to share the work.
"""

import gc
import os
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
gc.disable()
from sim.cli import main  # noqa: E402 -- after gc.disable(), on purpose

gc.freeze()
gc.enable()
status = main()
gc.freeze()
sys.exit(status)
