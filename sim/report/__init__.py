"""Everything a person reads: run folders, terminal tables, figures and the report."""

from sim.report.display import comparison_tables, format_value, summary_table, sweep_table
from sim.report.run_folder import DEFAULT_RESULTS, fill_run_folder, run_folder

__all__ = [
    "DEFAULT_RESULTS",
    "comparison_tables",
    "fill_run_folder",
    "format_value",
    "run_folder",
    "summary_table",
    "sweep_table",
]
