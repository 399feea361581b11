"""Everything a person reads: run folders, terminal tables, figures and the report."""

from sim.report.display import comparison_tables, format_value, summary_table, sweep_table
from sim.report.run_folder import DEFAULT_RESULTS, fill_run_folder, run_folder
from sim.report.saving import (
    SavedFolder,
    check_results_root,
    read_manifest,
    save_comparison,
    save_run,
    save_sweep,
    sweep_folder,
)

__all__ = [
    "DEFAULT_RESULTS",
    "SavedFolder",
    "check_results_root",
    "comparison_tables",
    "fill_run_folder",
    "format_value",
    "read_manifest",
    "run_folder",
    "save_comparison",
    "save_run",
    "save_sweep",
    "summary_table",
    "sweep_folder",
    "sweep_table",
]
