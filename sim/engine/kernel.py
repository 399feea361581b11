"""Which engine runs: the compiled kernel (mypyc) or the pure-Python source, and why.

:func:`kernel` names the engine in use. A stale or incomplete build runs the pure-Python
source with one :class:`KernelWarning`; ``SALESPULSE_PURE_PYTHON=1`` chooses it without a
warning. The choice itself is made in :mod:`sim.config._kernel`, which :mod:`sim.config`
imports first: the kernel spans both packages (the engine, and the arithmetic of the
scenario's rules it asks on the way, such as the response curves' :mod:`sim.config.fades`).
This module is its public face.
"""

from sim.config._kernel import (
    PURE_PYTHON_VARIABLE,
    SHARED_LIBRARY,
    SOURCES_RECORD,
    KernelWarning,
    compiled_modules,
    kernel,
    stale_reason,
)

__all__ = [
    "PURE_PYTHON_VARIABLE",
    "SHARED_LIBRARY",
    "SOURCES_RECORD",
    "KernelWarning",
    "compiled_modules",
    "kernel",
    "stale_reason",
]
