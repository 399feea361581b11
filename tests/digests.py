"""Same seed, same numbers: prove a change keeps every shipped experiment's results byte-identical.

Runs ``python -m sim run FILE --no-report`` on every shipped experiment (with the
file's own seed and replications, or ``--replications N`` for a quicker check)
and compares the SHA-256 of its ``summary.csv`` and ``replications.csv`` with the
digests stored in ``tests/digests.json``::

    python tests/digests.py                  # check; exit 1 on any difference
    python tests/digests.py --regenerate     # store new digests (only after a deliberate model change)

A restructure must pass the check unchanged. A change that alters the numbers on
purpose regenerates the digests in the same commit and says why.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STORE = Path(__file__).with_name("digests.json")
TABLES = ("summary.csv", "replications.csv")


def shipped_experiments() -> list[Path]:
    return sorted((ROOT / "experiments").glob("*.yaml"))


def digests_of(experiment: Path, replications: int | None, jobs: int) -> dict[str, str]:
    """Run one experiment into a scratch folder and hash its tables."""
    with tempfile.TemporaryDirectory() as scratch:
        command = [sys.executable, "-m", "sim", "run", str(experiment), "--no-report", "-q"]
        command += ["--out", scratch, "--jobs", str(jobs)]
        if replications is not None:
            command += ["--replications", str(replications)]
        subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
        (folder,) = [p for p in Path(scratch).glob("*/*") if p.is_dir()]
        return {
            table: hashlib.sha256((folder / table).read_bytes()).hexdigest() for table in TABLES
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regenerate", action="store_true", help="store new digests")
    parser.add_argument(
        "--replications", type=int, help="replications per experiment (default: the file's)"
    )
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default: 2)")
    args = parser.parse_args()
    key = "file" if args.replications is None else f"n={args.replications}"
    stored = json.loads(STORE.read_text()) if STORE.exists() else {}
    current = {
        path.name: digests_of(path, args.replications, args.jobs) for path in shipped_experiments()
    }
    if args.regenerate:
        stored[key] = current
        STORE.write_text(json.dumps(stored, indent=2, sort_keys=True) + "\n")
        print(f"stored digests of {len(current)} experiments ({key}) in {STORE}")
        return 0
    if key not in stored:
        print(f"no stored digests for {key}; run with --regenerate first", file=sys.stderr)
        return 1
    differing = [
        f"{name}: {table}"
        for name, tables in current.items()
        for table, digest in tables.items()
        if stored[key].get(name, {}).get(table) != digest
    ]
    for line in differing:
        print(f"DIFFERENT  {line}")
    print(
        f"{len(current) * len(TABLES) - len(differing)} of {len(current) * len(TABLES)} tables identical ({key})"
    )
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
