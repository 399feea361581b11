"""Which engine runs: the compiled kernel (mypyc) or the pure-Python source, and why.

The choice is made in :mod:`sim._kernel`, which both :mod:`sim.config` and :mod:`sim.engine`
import first (the kernel spans both: the engine and the curve arithmetic of
:mod:`sim.config.fades`); this module is its public face. :func:`kernel` names the engine
in use; a stale or incomplete build runs the pure-Python source with one
:class:`KernelWarning`; ``SALESPULSE_PURE_PYTHON=1`` chooses it without a warning.
"""

from sim._kernel import (
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
