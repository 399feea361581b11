"""The engine checked against queueing theory and the published lead-response figures."""

from sim.validation.checks import ValidationRow, validate, validation_table
from sim.validation.erlang import QueueMetrics, erlang_a, erlang_c

__all__ = [
    "QueueMetrics",
    "ValidationRow",
    "erlang_a",
    "erlang_c",
    "validate",
    "validation_table",
]
