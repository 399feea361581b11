"""Tune a cadence with Optuna: persistent studies, pruning, confirmation on fresh seeds."""
