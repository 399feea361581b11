"""How fast ``python -m sim calibrate`` reads and fits a large CRM export, and with how much memory.

Run ``python -m benchmarks.calibrate`` from the repository root (about a minute on 2 cores;
``--rows 100000`` for a quick run). It

1. generates a synthetic leads export of ``--rows`` rows (default 1,000,000) in /tmp with
   the documented columns: three sources arriving over a year with the preset hour-of-week
   profiles, first attempts within minutes in office hours and at the next 08:30 outside
   them, reach and qualification drawn from known exponential response curves, owners,
   won deals with lognormal values (vectorised numpy, written once with pandas);
2. in a fresh process, reads the same file with a plain ``pandas.read_csv(path)`` (the
   reference: what any tool that looks at the file at all must pay);
3. in another fresh process, runs ``python -m sim calibrate FILE`` end to end (read and
   check every row, every fit with its confidence intervals, the win-rate simulation, the
   YAML and the HTML report);

and prints, for both, the wall time and the peak resident memory of the process
(``VmHWM`` of ``/proc/self/status``, measured by the process itself), then the
calibration's time and memory as ratios to the plain read measured in the same run. A
process's resident memory after its imports (untimed) is subtracted too, so the memory the
file costs can be told from the interpreter's own.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from sim.config.calendar import PROFILE_PRESETS

TIME_LIMIT_SECONDS = 60.0
SOURCES = (  # name, share of leads, profile, reach, qualification chance, deal mean, deal sd
    ("web_form", 0.6, "business_hours", 0.55, 0.28, 2400.0, 1800.0),
    ("inbound_call", 0.2, "phone_hours", 0.85, 0.45, 3000.0, 2200.0),
    ("purchased_list", 0.2, "phone_hours", 0.35, 0.12, 1800.0, 1400.0),
)
CONTACT_SCALE, CONTACT_FLOOR = 240.0, 0.3
QUALIFY_SCALE, QUALIFY_FLOOR = 120.0, 0.05
WIN_RATE = 0.35
WEEKS = 52
START = np.datetime64("2026-01-05T00:00:00", "s")


def _minutes_to_next_open() -> np.ndarray:
    """For each minute of the week, minutes until a rep is on shift (weekdays 08:30-17:00)."""
    minute = np.arange(10080)
    day, clock = minute // 1440, minute % 1440
    open_now = (day < 5) & (clock >= 510) & (clock < 1020)
    starts = np.array([d * 1440 + 510 for d in range(5)] + [7 * 1440 + 510])
    nxt = starts[np.searchsorted(starts, minute, side="left")]
    return np.where(open_now, 0.0, (nxt - minute).astype(float))


def generate(path: Path, rows: int, seed: int = 1) -> None:
    """Write a synthetic leads export of *rows* rows (documented format) to *path*."""
    rng = np.random.default_rng(seed)
    shares = np.array([s[1] for s in SOURCES])
    source = rng.choice(len(SOURCES), rows, p=shares)
    created = np.empty(rows)
    for code, (_, _, profile, *_rest) in enumerate(SOURCES):
        mine = source == code
        weights = np.asarray(PROFILE_PRESETS[profile])
        hour = rng.choice(168, int(mine.sum()), p=weights / weights.sum())
        week = rng.integers(0, WEEKS, int(mine.sum()))
        created[mine] = week * 10080.0 + hour * 60.0 + rng.random(int(mine.sum())) * 60.0
    order = np.argsort(created, kind="stable")
    created, source = created[order], source[order]
    wait = _minutes_to_next_open()[(created % 10080).astype(np.int64)]
    delay = wait + rng.exponential(8.0, rows)
    first = created + delay
    reach = np.array([s[3] for s in SOURCES])[source]
    contact = CONTACT_FLOOR + (1 - CONTACT_FLOOR) * np.exp(-delay / CONTACT_SCALE)
    reached_first = rng.random(rows) < reach * contact
    later = ~reached_first & (rng.random(rows) < 0.45)
    attempts = np.where(reached_first, 1, np.where(later, rng.integers(2, 7, rows), 6))
    gap = np.where(reached_first, 0.0, rng.exponential(1440.0, rows) + 5.0)
    reached = reached_first | later
    reached_at = np.where(reached, first + gap, np.nan)
    d_reached = reached_at - created
    qual_chance = np.array([s[4] for s in SOURCES])[source] * (
        QUALIFY_FLOOR + (1 - QUALIFY_FLOOR) * np.exp(-np.nan_to_num(d_reached) / QUALIFY_SCALE)
    )
    qualified = reached & (rng.random(rows) < qual_chance)
    won = qualified & (rng.random(rows) < WIN_RATE)
    mean, sd = np.array([s[5] for s in SOURCES])[source], np.array([s[6] for s in SOURCES])[source]
    sigma2 = np.log1p((sd / mean) ** 2)
    value = np.where(won, rng.lognormal(np.log(mean) - sigma2 / 2, np.sqrt(sigma2)), np.nan)
    end = WEEKS * 10080.0
    closed = np.where(
        qualified,
        reached_at + rng.lognormal(np.log(20160.0), 0.5, rows),
        np.where(reached, reached_at + 15.0, first + 6 * 1440.0 + rng.random(rows) * 10080.0),
    )
    closed[closed > end] = np.nan
    owner = rng.integers(0, 40, rows)

    def stamps(minutes: np.ndarray) -> np.ndarray:
        finite = np.isfinite(minutes)
        seconds = np.zeros(minutes.size, dtype=np.int64)
        seconds[finite] = np.round(minutes[finite] * 60).astype(np.int64)
        text = np.char.add(
            np.datetime_as_string(START + seconds.astype("timedelta64[s]")), "+00:00"
        )
        return np.where(finite, text, "")

    yes_no = np.array(["no", "yes"])
    names = np.array([s[0] for s in SOURCES])
    table = pd.DataFrame(
        {
            "lead_id": np.char.add("L", np.arange(rows).astype(str)),
            "created_at": stamps(created),
            "source": names[source],
            "first_attempt_at": stamps(first),
            "attempts": attempts,
            "reached": yes_no[reached.astype(int)],
            "reached_at": stamps(reached_at),
            "qualified": yes_no[qualified.astype(int)],
            "won": yes_no[won.astype(int)],
            "deal_value": np.where(won, np.char.mod("%.2f", np.nan_to_num(value)), ""),
            "closed_at": stamps(closed),
            "owner": np.char.add("rep_", owner.astype(str)),
        }
    )
    table.to_csv(path, index=False)


_PROBE = """
import json, resource, time
{setup}


def memory(key):
    try:
        with open("/proc/self/status") as f:
            return next(int(l.split()[1]) for l in f if l.startswith(key)) / 1024
    except OSError:  # not Linux: ru_maxrss (which includes the parent's memory at the fork)
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


before = memory("VmRSS:")
started = time.perf_counter()
{body}
seconds = time.perf_counter() - started
print(json.dumps({{"seconds": seconds, "peak_mb": memory("VmHWM:"), "before_mb": before}}))
"""


def measure(setup: str, body: str) -> dict[str, float]:
    """Run *body* after *setup* (imports, untimed) in a fresh Python process.

    Returns the body's wall time, the process's peak resident memory (``VmHWM``: its own
    high-water mark; ``ru_maxrss`` would include the parent's memory at the fork) and its
    resident memory before the body.
    """
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(setup=setup, body=body)],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"benchmark step failed:\n{out.stdout}\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the synthetic export")
    parser.add_argument("--keep", action="store_true", help="keep the files in /tmp")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="salespulse-calibrate-bench-", dir="/tmp"))
    path = folder / "leads.csv"
    started = time.perf_counter()
    generate(path, args.rows)
    print(
        f"generated {args.rows:,} leads ({path.stat().st_size / 1e6:,.0f} MB) in "
        f"{time.perf_counter() - started:.1f} s: {path}"
    )
    setup = "import pandas, sim.calibration, sim.cli"
    plain = measure(setup, f"pandas.read_csv({str(path)!r})")
    out = folder / "bench.yaml"
    cal = measure(
        setup,
        f"status = sim.cli.main(['calibrate', {str(path)!r}, '--out', {str(out)!r}])\n"
        "assert status == 0, status",
    )
    print(
        f"\n{'step (fresh process each)':<28}{'wall s':>9}{'peak RSS MB':>13}{'above imports MB':>18}"
    )
    for label, m in (("pandas.read_csv(file)", plain), ("python -m sim calibrate", cal)):
        print(
            f"{label:<28}{m['seconds']:>9.1f}{m['peak_mb']:>13.0f}{m['peak_mb'] - m['before_mb']:>18.0f}"
        )
    plain_mb = plain["peak_mb"] - plain["before_mb"]
    cal_mb = cal["peak_mb"] - cal["before_mb"]
    print(
        f"\ncalibrate / read_csv: time x{cal['seconds'] / plain['seconds']:.1f}, peak memory "
        f"x{cal['peak_mb'] / plain['peak_mb']:.2f} (above the imports: x{cal_mb / max(plain_mb, 1):.2f})"
    )
    verdict = "OK" if cal["seconds"] < TIME_LIMIT_SECONDS else "TOO SLOW"
    print(
        f"calibration of {args.rows:,} rows: {cal['seconds']:.1f} s (limit {TIME_LIMIT_SECONDS:.0f} s): {verdict}"
    )
    if not args.keep:
        for leftover in folder.iterdir():
            leftover.unlink()
        folder.rmdir()
    return 0 if verdict == "OK" else 1


if __name__ == "__main__":
    raise SystemExit(main())
