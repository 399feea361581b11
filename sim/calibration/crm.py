"""CRM exports: the lead and activity CSV format, reading it strictly, and writing it from a run.

Two files describe a team's history (see ``docs/calibration.md`` for the full format):

``leads.csv``, one row per lead::

    lead_id, created_at, source, first_attempt_at, attempts, reached, reached_at,
    qualified, won, deal_value, closed_at, owner, lost_reason

``activities.csv`` (optional), one row per call or touch::

    lead_id, timestamp, type, outcome, duration_seconds, owner

:func:`read_leads` and :func:`read_activities` read them in chunks into compact numpy
arrays (bounded memory for million-row files), checking every row: a problem raises
:class:`~sim.experiment.model.ConfigError` naming the file, the line and the column, unless
``skip_bad_rows`` is set, in which case the row is dropped and counted by reason.

:class:`CrmRecorder` is the engine :class:`~sim.engine.floor.Recorder` that turns one
simulated replication into the same two files (:func:`export_replication`), so
that ``calibrate`` can be checked on data whose truth is known.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import math
import os
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.config import ConfigError

if TYPE_CHECKING:
    from policies.cadence import Cadence
    from sim.config.scenario import Scenario
    from sim.engine.floor import SalesFloor
    from sim.engine.people import Lead, Task

EXPORT_START = "2026-01-05T00:00:00+00:00"
"""The wall-clock time of engine time 0 in exports (a Monday, 00:00 UTC)."""

CHUNK_ROWS = 200_000
"""Rows read at a time: memory stays bounded by one chunk of text plus compact arrays."""

MINUTES_PER_WEEK = 10080.0
_MONDAY_EPOCH_MINUTES = 4 * 1440.0  # 1970-01-05 was a Monday


@dataclass(frozen=True)
class Column:
    """One canonical column of an export file."""

    name: str
    kind: str  # id, time, text, bool, count, money, seconds
    required: bool
    doc: str


LEAD_COLUMNS: tuple[Column, ...] = (
    Column("lead_id", "id", True, "unique id of the lead"),
    Column(
        "created_at", "time", True, "when the lead arrived (form sent, call received, uploaded)"
    ),
    Column(
        "source", "text", False, "where it came from (web_form, inbound_call, ...); blank: 'all'"
    ),
    Column("first_attempt_at", "time", True, "first call attempt; blank if never called"),
    Column("attempts", "count", True, "call attempts until reached (the reaching call included)"),
    Column("reached", "bool", True, "whether a call ever reached the lead (yes/no)"),
    Column("reached_at", "time", False, "start of the call that reached it"),
    Column("qualified", "bool", True, "whether the conversation qualified it (yes/no)"),
    Column("won", "bool", True, "whether the deal was won (yes/no)"),
    Column("deal_value", "money", False, "value of the won deal"),
    Column("closed_at", "time", False, "when the lead was closed (won or lost); blank if open"),
    Column("owner", "text", False, "the rep who made the first attempt"),
    Column(
        "lost_reason", "text", False, "why a lost lead was lost (free text; for the report only)"
    ),
)
ACTIVITY_COLUMNS: tuple[Column, ...] = (
    Column("lead_id", "id", True, "the lead touched (must be in the leads file)"),
    Column("timestamp", "time", True, "when the action started"),
    Column("type", "text", False, "call (default), screen, meeting, nurture, email, ..."),
    Column("outcome", "text", True, "for calls: connected, no_answer or voicemail (or a synonym)"),
    Column("duration_seconds", "seconds", False, "rep time the action took, in seconds"),
    Column("owner", "text", False, "the rep who did it"),
)

TRUE_WORDS = frozenset({"yes", "y", "true", "t", "1"})
FALSE_WORDS = frozenset({"no", "n", "false", "f", "0", ""})
CONNECTED_WORDS = frozenset(
    {"connected", "reached", "answered", "conversation", "talked", "completed", "spoke"}
)
NO_ANSWER_WORDS = frozenset(
    {"no_answer", "no answer", "noanswer", "not_reached", "not reached", "unanswered", "busy",
     "missed", "failed", "no_connect", "no connect"}
)  # fmt: skip
VOICEMAIL_WORDS = frozenset({"voicemail", "left_voicemail", "left voicemail", "vm", "voice mail"})
CALL_WORDS = frozenset({"call", "dial", "phone", "phone_call", "outbound_call", "first_attempt",
                        "follow_up"})  # fmt: skip
CALL, NO_ANSWER, VOICEMAIL, CONNECTED = "call", 0, 1, 2


def _ioerror(path: Path, what: str) -> ConfigError:
    return ConfigError(f"{path}: {what}")


# --------------------------------------------------------------------------- reading


@dataclass
class Skipped:
    """Rows left out with ``--skip-bad-rows``: counts and a few example lines per reason."""

    counts: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[int]] = field(default_factory=dict)

    def add(self, reason: str, lines: np.ndarray) -> None:
        if lines.size == 0:
            return
        self.counts[reason] += int(lines.size)
        kept = self.examples.setdefault(reason, [])
        kept.extend(int(x) for x in lines[: max(0, 5 - len(kept))])

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class ReadOptions:
    """How to read an export: column names, time zone, delimiter, encoding, bad rows."""

    mapping: dict[str, str] = field(default_factory=dict)
    tz: str | None = None
    delimiter: str = ","
    encoding: str = "utf-8"
    time_format: str | None = None
    skip_bad_rows: bool = False


def parse_mapping(items: Iterable[str]) -> dict[str, str]:
    """``['created_at=CreateDate', 'activities.lead_id=WhoId']`` -> ``{canonical: file column}``."""
    known = {c.name for c in LEAD_COLUMNS} | {f"activities.{c.name}" for c in ACTIVITY_COLUMNS}
    known |= {c.name for c in ACTIVITY_COLUMNS}
    mapping: dict[str, str] = {}
    for item in items:
        canonical, sep, column = item.partition("=")
        canonical, column = canonical.strip(), column.strip()
        if not sep or not canonical or not column:
            raise ConfigError(f"--map {item!r}: expected canonical_name=ColumnInFile")
        if canonical not in known:
            raise ConfigError(
                f"--map {item!r}: unknown column {canonical!r}; expected one of: "
                + ", ".join(sorted(known))
            )
        mapping[canonical] = column
    return mapping


def _check_encoding(path: Path, encoding: str) -> str:
    """Fail early, naming the line, if the file is not in *encoding*; returns the codec to use."""
    try:
        with path.open("rb") as f:
            head = f.read(4)
    except FileNotFoundError:
        raise _ioerror(path, "file not found") from None
    except IsADirectoryError:
        raise _ioerror(path, "is a folder; expected a CSV file") from None
    except PermissionError:
        raise _ioerror(path, "cannot read the file (permission denied)") from None
    if not head:
        raise _ioerror(path, "the file is empty; expected a header line and one row per record")
    codec = codecs.lookup(encoding).name
    if codec == "utf-8":
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise _ioerror(
                path,
                "the file is UTF-16 encoded (it starts with a UTF-16 byte order mark); "
                "expected UTF-8: re-save it as UTF-8 or pass --encoding utf-16",
            )
        if head.startswith(codecs.BOM_UTF8):
            codec = "utf-8-sig"
        decoder = codecs.getincrementaldecoder("utf-8")()
        offset, line = 0, 1
        with path.open("rb") as f:
            while block := f.read(1 << 24):
                try:
                    decoder.decode(block)
                except UnicodeDecodeError as exc:
                    at = offset + exc.start
                    line += block[: exc.start].count(b"\n")
                    raise _ioerror(
                        path,
                        f"line {line}: cannot read the file as UTF-8 (byte 0x{block[exc.start]:02x} "
                        f"at offset {at}); it is probably in another encoding such as "
                        "Windows-1252/Latin-1: re-save it as UTF-8 or pass --encoding latin-1",
                    ) from None
                offset += len(block)
                line += block.count(b"\n")
    return codec


def _header(path: Path, codec: str, delimiter: str) -> list[str]:
    with path.open(encoding=codec, newline="") as f:
        first = f.readline()
    if not first.strip():
        raise _ioerror(path, "the file is empty; expected a header line and one row per record")
    if delimiter not in first:
        for other, name in ((";", "semicolon"), ("\t", "tab"), ("|", "pipe")):
            if other in first:
                shown = "\\t" if other == "\t" else other
                raise _ioerror(
                    path,
                    f"line 1: the header has no {delimiter!r} but {name}s; the file looks "
                    f"{name}-separated: pass --delimiter '{shown}'",
                )
    return [name.strip() for name in next(csv.reader([first], delimiter=delimiter))]


def _resolve_columns(
    path: Path, header: list[str], columns: tuple[Column, ...], mapping: dict[str, str], prefix: str
) -> dict[str, str]:
    """Canonical name -> column in the file, for the columns present; required ones checked."""
    lowered = {name.lower(): name for name in header}
    shared = {c.name for c in LEAD_COLUMNS} & {c.name for c in ACTIVITY_COLUMNS}
    found: dict[str, str] = {}
    for column in columns:
        wanted = mapping.get(f"{prefix}{column.name}") if prefix else None
        flag = f"--map {prefix}{column.name}={wanted}"
        if wanted is None and column.name in mapping:
            wanted = mapping[column.name]
            flag = f"--map {column.name}={wanted}"
            if prefix and column.name in shared and wanted not in header:
                wanted = None  # a shared name mapped for the leads file only
        if wanted is not None:
            if wanted not in header:
                raise _ioerror(
                    path,
                    f"{flag}: no column {wanted!r} in the header; "
                    f"the columns are: {', '.join(header)}",
                )
            found[column.name] = wanted
        elif column.name in header:
            found[column.name] = column.name
        elif column.name in lowered:
            found[column.name] = lowered[column.name]
    missing = [c.name for c in columns if c.required and c.name not in found]
    if missing:
        raise _ioerror(
            path,
            f"line 1: missing required column(s) {', '.join(missing)}; the header has: "
            f"{', '.join(header)}. Name the file's columns with --map, e.g. "
            f"--map {missing[0]}=YourColumnName (see docs/calibration.md)",
        )
    return found


class _Chunks:
    """Reads a CSV as text chunks (only the wanted columns), turning parser errors into ConfigError."""

    def __init__(self, path: Path, codec: str, options: ReadOptions, usecols: list[str]) -> None:
        self.path, self.codec, self.options, self.usecols = path, codec, options, usecols

    def __iter__(self) -> Iterator[tuple[pd.DataFrame, np.ndarray]]:
        try:
            reader = pd.read_csv(
                self.path,
                sep=self.options.delimiter,
                encoding=self.codec,
                usecols=self.usecols,
                dtype=dict.fromkeys(self.usecols, str),
                keep_default_na=False,
                na_filter=False,
                chunksize=CHUNK_ROWS,
                engine="c",
                skipinitialspace=True,
            )
            first_line = 2
            for chunk in reader:
                lines = np.arange(first_line, first_line + len(chunk), dtype=np.int64)
                first_line += len(chunk)
                yield chunk, lines
        except pd.errors.ParserError as exc:
            text = str(exc).strip()
            raise _ioerror(
                self.path,
                f"malformed CSV: {text} (check the delimiter, --delimiter, and quoting)",
            ) from None
        except UnicodeDecodeError as exc:
            raise _ioerror(
                self.path, f"cannot read the file as {self.codec} ({exc}); pass --encoding"
            ) from None
        except pd.errors.EmptyDataError:
            raise _ioerror(
                self.path, "the file is empty; expected a header line and one row per record"
            ) from None


class _RowErrors:
    """Problems found in one chunk: raise the first (by line), or drop and count them."""

    def __init__(self, path: Path, lines: np.ndarray, skipped: Skipped, skip: bool) -> None:
        self.path, self.lines, self.skipped, self.skip = path, lines, skipped, skip
        self.bad = np.zeros(lines.size, dtype=bool)
        self._first: tuple[int, str] | None = None

    def flag(self, mask: np.ndarray, column: str, problem: str, values: Any = None) -> None:
        """Rows in *mask* are bad: *problem* about *column* (``values`` shows what was found)."""
        mask = mask & ~self.bad
        if not mask.any():
            return
        index = int(np.flatnonzero(mask)[0])
        if not self.skip:
            got = ""
            if values is not None:
                got = f": got {np.asarray(values)[index]!r}"
            message = f"line {self.lines[index]}, column {column}: {problem}{got}"
            if self._first is None or self.lines[index] < self._first[0]:
                self._first = (int(self.lines[index]), message)
        self.skipped.add(f"{column}: {problem}", self.lines[mask])
        self.bad |= mask

    def finish(self) -> np.ndarray:
        """The rows to keep (raises on the first bad row unless skipping)."""
        if self._first is not None:
            raise _ioerror(
                self.path, self._first[1] + " (or pass --skip-bad-rows to skip such rows)"
            )
        return ~self.bad


_AWARE = r"(?:[zZ]|[+-]\d\d(?::?\d\d)?)$"


def _parse_times(
    values: pd.Series, column: str, errors: _RowErrors, options: ReadOptions, required: bool
) -> np.ndarray:
    """Timestamps as float minutes since 1970-01-01 UTC (NaN for blank cells)."""
    text = values.str.strip()
    blank = (text == "").to_numpy()
    out = np.full(len(text), np.nan)
    if required:
        errors.flag(blank, column, "empty; expected a timestamp", text)
    present = ~blank
    if not present.any():
        return out
    aware = np.zeros(len(text), dtype=bool)
    aware[present] = text[present].str.contains(_AWARE, regex=True).to_numpy()
    fmt = options.time_format or "ISO8601"
    if aware.any():
        parsed = pd.to_datetime(text[aware], format=fmt, utc=True, errors="coerce")
        out[aware] = _ns_to_minutes(parsed)
    naive = present & ~aware
    if naive.any():
        parsed = pd.to_datetime(text[naive], format=fmt, errors="coerce")
        if options.tz is None:
            readable = np.zeros(len(text), dtype=bool)
            readable[naive] = parsed.notna().to_numpy()
            errors.flag(
                readable,
                column,
                "timestamp has no time zone; add one (2026-01-05T09:30:00+01:00) or pass "
                "--tz with the zone the export was written in (e.g. --tz Europe/Berlin)",
                text,
            )
        else:
            try:
                local = parsed.dt.tz_localize(options.tz, ambiguous="NaT", nonexistent="NaT")
            except TypeError:  # already aware through a custom format
                local = parsed
            out[naive] = _ns_to_minutes(local.dt.tz_convert("UTC"))
    bad = present & np.isnan(out)
    expected = (
        f"matching --time-format {options.time_format!r}"
        if options.time_format
        else "ISO 8601 such as 2026-01-05T09:30:00+01:00"
    )
    errors.flag(bad, column, f"cannot read the timestamp (expected {expected})", text)
    return out


def _ns_to_minutes(parsed: pd.Series) -> np.ndarray:
    values = parsed.to_numpy(dtype="datetime64[ns]", na_value=np.datetime64("NaT"))
    ns = np.array(values.astype(np.int64), dtype=np.float64)
    ns[np.isnat(values)] = np.nan
    return ns / 6e10


def _parse_bool(values: pd.Series, column: str, errors: _RowErrors) -> np.ndarray:
    text = values.str.strip().str.lower()
    true = text.isin(TRUE_WORDS).to_numpy()
    false = text.isin(FALSE_WORDS).to_numpy()
    errors.flag(~(true | false), column, "expected yes or no (also true/false, 1/0)", values)
    return true


def _parse_number(
    values: pd.Series, column: str, errors: _RowErrors, integer: bool, blank_ok: bool
) -> np.ndarray:
    text = values.str.strip()
    blank = (text == "").to_numpy()
    number = np.array(
        pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce"), dtype=float
    )
    number[blank] = np.nan
    what = "a whole number >= 0" if integer else "a number >= 0"
    if not blank_ok:
        errors.flag(blank, column, f"empty; expected {what}", text)
    bad = ~blank & (np.isnan(number) | ~np.isfinite(number))
    errors.flag(bad, column, f"expected {what}", text)
    errors.flag(~blank & ~bad & (number < 0), column, f"negative; expected {what}", text)
    if integer:
        errors.flag(~blank & ~bad & (number != np.round(number)), column, f"expected {what}", text)
    return number


class _Codes:
    """Text values to small integer codes, consistent across chunks."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self._index: dict[str, int] = {}

    def encode(self, values: pd.Series, default: str | None = None) -> np.ndarray:
        text = values.str.strip()
        codes, uniques = pd.factorize(text)
        mapped = np.empty(len(uniques), dtype=np.int32)
        for i, value in enumerate(uniques):
            value = str(value)
            if value == "" and default is None:
                mapped[i] = -1
                continue
            value = value or default  # type: ignore[assignment]
            if value not in self._index:
                self._index[value] = len(self.names)
                self.names.append(value)
            mapped[i] = self._index[value]
        return mapped[codes] if len(codes) else np.empty(0, dtype=np.int32)


@dataclass
class LeadTable:
    """A leads export as compact arrays (one entry per lead kept); times in minutes.

    ``*_at`` arrays are minutes since 1970-01-01 UTC (NaN: blank); ``created_local``
    is the creation time in the team's time zone, as minutes since the Monday 00:00
    that starts the export's first week (so ``created_local // 60 % 168`` is the
    hour of the week, as in the engine).
    """

    path: Path
    ids: np.ndarray
    lines: np.ndarray
    created_at: np.ndarray
    created_local: np.ndarray
    source: np.ndarray
    sources: list[str]
    first_attempt_at: np.ndarray
    attempts: np.ndarray
    reached: np.ndarray
    reached_at: np.ndarray
    qualified: np.ndarray
    won: np.ndarray
    deal_value: np.ndarray
    closed_at: np.ndarray
    owner: np.ndarray
    owners: list[str]
    lost_reason: np.ndarray
    lost_reasons: list[str]
    columns: dict[str, str]
    rows_read: int
    skipped: Skipped
    tz: str
    week_start: datetime

    def __len__(self) -> int:
        return int(self.ids.size)


def _read_header(path: Path, options: ReadOptions) -> tuple[str, list[str]]:
    codec = _check_encoding(path, options.encoding)
    return codec, _header(path, codec, options.delimiter)


def read_leads(path: str | Path, options: ReadOptions | None = None) -> LeadTable:
    """Read and check a leads export (see the module docstring and docs/calibration.md)."""
    path = Path(path)
    options = options or ReadOptions()
    codec, header = _read_header(path, options)
    columns = _resolve_columns(path, header, LEAD_COLUMNS, options.mapping, "")
    skipped = Skipped()
    sources, owners, reasons = _Codes(), _Codes(), _Codes()
    parts: dict[str, list[np.ndarray]] = {}
    rows = 0
    usecols = list(dict.fromkeys(columns.values()))
    for chunk, lines in _Chunks(path, codec, options, usecols):
        rows += len(chunk)
        errors = _RowErrors(path, lines, skipped, options.skip_bad_rows)

        def col(name: str, chunk: pd.DataFrame = chunk) -> pd.Series:
            return chunk[columns[name]] if name in columns else pd.Series([""] * len(chunk))

        ids = col("lead_id").str.strip()
        errors.flag((ids == "").to_numpy(), "lead_id", "empty; expected the lead's id")
        created = _parse_times(col("created_at"), "created_at", errors, options, True)
        first = _parse_times(col("first_attempt_at"), "first_attempt_at", errors, options, False)
        reached_at = _parse_times(col("reached_at"), "reached_at", errors, options, False)
        closed = _parse_times(col("closed_at"), "closed_at", errors, options, False)
        attempts = _parse_number(col("attempts"), "attempts", errors, True, True)
        reached = _parse_bool(col("reached"), "reached", errors)
        qualified = _parse_bool(col("qualified"), "qualified", errors)
        won = _parse_bool(col("won"), "won", errors)
        value = _parse_number(col("deal_value"), "deal_value", errors, False, True)
        attempts = np.where(np.isnan(attempts), np.where(np.isnan(first), 0, 1), attempts)
        # Consistency of one row.
        errors.flag(
            first < created, "first_attempt_at", "first attempt before the lead was created"
        )
        errors.flag(reached_at < created, "reached_at", "reached before the lead was created")
        errors.flag(
            reached_at < first, "reached_at", "reached before the first attempt (first_attempt_at)"
        )
        errors.flag(closed < created, "closed_at", "closed before the lead was created")
        errors.flag(
            (attempts > 0) & np.isnan(first),
            "first_attempt_at",
            "empty although attempts > 0; expected the first attempt's time",
        )
        errors.flag(
            (attempts == 0) & ~np.isnan(first),
            "attempts",
            "0 although first_attempt_at is set; expected the number of attempts",
        )
        errors.flag(reached & (attempts == 0), "reached", "yes although no attempt was made")
        errors.flag(qualified & ~reached, "qualified", "yes although the lead was never reached")
        errors.flag(won & ~qualified, "won", "yes although the lead was not qualified")
        keep = errors.finish()
        tz_minutes = _local_minutes(col("created_at"), created, options)
        for name, array in (
            ("ids", ids.to_numpy(dtype=object)),
            ("lines", lines),
            ("created_at", created),
            ("created_wall", tz_minutes),
            ("source", sources.encode(col("source"), default="all")),
            ("first_attempt_at", first),
            ("attempts", attempts.astype(np.int32)),
            ("reached", reached),
            ("reached_at", reached_at),
            ("qualified", qualified),
            ("won", won),
            ("deal_value", value),
            ("closed_at", closed),
            ("owner", owners.encode(col("owner"))),
            ("lost_reason", reasons.encode(col("lost_reason"))),
        ):
            parts.setdefault(name, []).append(array[keep])
    if rows == 0:
        raise _ioerror(path, "no data rows: the file has a header line only")
    data = {name: np.concatenate(arrays) for name, arrays in parts.items()}
    data = _drop_duplicate_ids(path, data, skipped, options.skip_bad_rows)
    if data["ids"].size == 0:
        raise _ioerror(path, f"no usable rows: all {rows:,} rows were skipped as bad")
    week0 = _week_start(float(np.min(data["created_wall"])))
    start = pd.Timestamp(week0 * 6e10, unit="ns").to_pydatetime()
    return LeadTable(
        path=path,
        ids=data["ids"],
        lines=data["lines"],
        created_at=data["created_at"],
        created_local=data["created_wall"] - week0,
        source=data["source"],
        sources=sources.names,
        first_attempt_at=data["first_attempt_at"],
        attempts=data["attempts"],
        reached=data["reached"],
        reached_at=data["reached_at"],
        qualified=data["qualified"],
        won=data["won"],
        deal_value=data["deal_value"],
        closed_at=data["closed_at"],
        owner=data["owner"],
        owners=owners.names,
        lost_reason=data["lost_reason"],
        lost_reasons=reasons.names,
        columns=columns,
        rows_read=rows,
        skipped=skipped,
        tz=options.tz or "UTC",
        week_start=start,
    )


def _week_start(wall_minutes: float) -> float:
    """The Monday 00:00 (wall clock, minutes since the epoch) of the week holding *wall_minutes*."""
    weeks = math.floor((wall_minutes - _MONDAY_EPOCH_MINUTES) / MINUTES_PER_WEEK)
    return _MONDAY_EPOCH_MINUTES + weeks * MINUTES_PER_WEEK


def _local_minutes(raw: pd.Series, utc_minutes: np.ndarray, options: ReadOptions) -> np.ndarray:
    """Wall-clock minutes (in --tz, else UTC) of UTC timestamps, for hour-of-week profiles."""
    if options.tz is None:
        return utc_minutes.copy()
    finite = ~np.isnan(utc_minutes)
    out = np.full(utc_minutes.size, np.nan)
    stamps = pd.DatetimeIndex(
        (utc_minutes[finite] * 6e10).round().astype(np.int64).view("datetime64[ns]"), tz="UTC"
    )
    out[finite] = stamps.tz_convert(options.tz).tz_localize(None).asi8 / 6e10
    return out


def _drop_duplicate_ids(
    path: Path, data: dict[str, np.ndarray], skipped: Skipped, skip: bool
) -> dict[str, np.ndarray]:
    ids = pd.Series(data["ids"])
    duplicated = ids.duplicated(keep="first").to_numpy()
    if not duplicated.any():
        return data
    index = int(np.flatnonzero(duplicated)[0])
    if not skip:
        first = int(np.flatnonzero((ids == ids.iloc[index]).to_numpy())[0])
        raise _ioerror(
            path,
            f"line {data['lines'][index]}, column lead_id: duplicated lead id {ids.iloc[index]!r} "
            f"(first seen on line {data['lines'][first]}); expected one row per lead "
            "(or pass --skip-bad-rows to keep the first row of each id)",
        )
    skipped.add("lead_id: duplicated lead id (first row kept)", data["lines"][duplicated])
    return {name: array[~duplicated] for name, array in data.items()}


@dataclass
class ActivityTable:
    """An activities export as compact arrays; ``lead`` indexes the :class:`LeadTable`."""

    path: Path
    lead: np.ndarray
    lines: np.ndarray
    at: np.ndarray
    kind: np.ndarray
    kinds: list[str]
    call_outcome: np.ndarray  # NO_ANSWER, VOICEMAIL, CONNECTED; -1 for non-calls
    duration_minutes: np.ndarray
    owner: np.ndarray
    owners: list[str]
    columns: dict[str, str]
    rows_read: int
    skipped: Skipped

    def __len__(self) -> int:
        return int(self.lead.size)

    @property
    def is_call(self) -> np.ndarray:
        return self.call_outcome >= 0


def read_activities(
    path: str | Path, leads: LeadTable, options: ReadOptions | None = None
) -> ActivityTable:
    """Read and check an activities export against the leads already read."""
    path = Path(path)
    options = options or ReadOptions()
    codec, header = _read_header(path, options)
    columns = _resolve_columns(path, header, ACTIVITY_COLUMNS, options.mapping, "activities.")
    skipped = Skipped()
    kinds, owners = _Codes(), _Codes()
    index = pd.Index(leads.ids)
    parts: dict[str, list[np.ndarray]] = {}
    rows = 0
    usecols = list(dict.fromkeys(columns.values()))
    for chunk, lines in _Chunks(path, codec, options, usecols):
        rows += len(chunk)
        errors = _RowErrors(path, lines, skipped, options.skip_bad_rows)

        def col(name: str, chunk: pd.DataFrame = chunk) -> pd.Series:
            return chunk[columns[name]] if name in columns else pd.Series([""] * len(chunk))

        ids = col("lead_id").str.strip()
        lead = index.get_indexer(ids)
        errors.flag(
            lead < 0,
            "lead_id",
            "no lead with this id in the leads file (or its row was skipped)",
            ids,
        )
        at = _parse_times(col("timestamp"), "timestamp", errors, options, True)
        created = np.where(lead >= 0, leads.created_at[np.maximum(lead, 0)], np.nan)
        errors.flag(at < created, "timestamp", "before the lead was created")
        seconds = _parse_number(col("duration_seconds"), "duration_seconds", errors, False, True)
        kind_text = col("type").str.strip().str.lower()
        kind_text = kind_text.where(~kind_text.isin(CALL_WORDS) & (kind_text != ""), CALL)
        is_call = (kind_text == CALL).to_numpy()
        outcome_text = col("outcome").str.strip().str.lower()
        outcome = np.full(len(chunk), -1, dtype=np.int8)
        outcome[outcome_text.isin(CONNECTED_WORDS).to_numpy()] = CONNECTED
        outcome[outcome_text.isin(NO_ANSWER_WORDS).to_numpy()] = NO_ANSWER
        outcome[outcome_text.isin(VOICEMAIL_WORDS).to_numpy()] = VOICEMAIL
        errors.flag(
            is_call & (outcome < 0),
            "outcome",
            "unknown call outcome; expected connected, no_answer or voicemail",
            outcome_text,
        )
        outcome[~is_call] = -1
        keep = errors.finish()
        for name, array in (
            ("lead", lead.astype(np.int64)),
            ("lines", lines),
            ("at", at),
            ("kind", kinds.encode(kind_text)),
            ("call_outcome", outcome),
            ("duration_minutes", seconds / 60.0),
            ("owner", owners.encode(col("owner"))),
        ):
            parts.setdefault(name, []).append(array[keep])
    if rows == 0:
        raise _ioerror(path, "no data rows: the file has a header line only")
    data = {name: np.concatenate(arrays) for name, arrays in parts.items()}
    return ActivityTable(
        path=path,
        lead=data["lead"],
        lines=data["lines"],
        at=data["at"],
        kind=data["kind"],
        kinds=kinds.names,
        call_outcome=data["call_outcome"],
        duration_minutes=data["duration_minutes"],
        owner=data["owner"],
        owners=owners.names,
        columns=columns,
        rows_read=rows,
        skipped=skipped,
    )


# --------------------------------------------------------------------------- writing


_CALL_KINDS = ("first_attempt", "follow_up")
_ACTIVITY_TYPE = {
    "first_attempt": "call",
    "follow_up": "call",
    "screen": "screen",
    "meeting": "meeting",
    "nurture": "nurture",
}


class CrmRecorder:
    """An engine recorder that keeps what a CRM would: one row per lead, one per lead activity.

    Pass it to :class:`~sim.engine.floor.SalesFloor` (``recorder=``); after ``simulate()``
    call :meth:`finish` with the floor (it adds the leads still open), then
    :meth:`write`. Customer retention touches and department referral requests are
    not lead activities and are left out.
    """

    def __init__(self, source_names: list[str]) -> None:
        self.source_names = source_names
        self.leads: list[tuple[Any, ...]] = []
        self.activities: list[tuple[Any, ...]] = []
        self._finished = False

    def action(self, task: Task, rep_id: int, started: float, ended: float, outcome: str) -> None:
        kind = _ACTIVITY_TYPE.get(task.kind)
        if kind is None:
            return
        lead = task.subject
        if task.kind in _CALL_KINDS:
            # The engine reports an opt-out on a dial as 'opted_out' whether or not the
            # dial got through; the lead's reached time tells which.
            outcome = "connected" if lead.reached_at == started else "no_answer"
        elif kind == "screen":
            outcome = "screened_out" if outcome == "screened_out" else "passed"
        self.activities.append((lead.id, started, kind, outcome, ended - started, rep_id))

    def lead_closed(self, lead: Lead, outcome: str, now: float) -> None:
        self.leads.append(self._lead_row(lead, outcome, now))

    def _lead_row(self, lead: Lead, outcome: str | None, closed: float) -> tuple[Any, ...]:
        return (
            lead.id,
            lead.arrived_at,
            lead.source,
            lead.first_attempt_at,
            lead.attempts,
            lead.reached_at,
            lead.qualified,
            outcome == "won",
            lead.value if outcome == "won" else math.nan,
            closed,
            lead.owner,
            "" if outcome in (None, "won") else outcome,
        )

    def finish(self, floor: SalesFloor) -> CrmRecorder:
        """Add the leads still open when the simulation ended (no closed_at)."""
        from sim.engine.people import Lead

        if not self._finished:
            for person in floor._active.values():
                if isinstance(person, Lead):
                    self.leads.append(self._lead_row(person, None, math.inf))
            self._finished = True
        return self

    def tables(self, start: str = EXPORT_START) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The two exports as data frames of text, in the documented format."""
        origin = np.datetime64(pd.Timestamp(start).tz_convert("UTC").tz_localize(None), "s")
        rows = sorted(self.leads, key=lambda row: (row[1], row[0]))
        lead_cols = list(zip(*rows, strict=True)) if rows else [()] * 12
        names = [*self.source_names, "referral"]
        leads = pd.DataFrame(
            {
                "lead_id": [f"L{i:07d}" for i in lead_cols[0]],
                "created_at": _stamps(lead_cols[1], origin),
                "source": [names[s] for s in lead_cols[2]],
                "first_attempt_at": _stamps(lead_cols[3], origin),
                "attempts": list(lead_cols[4]),
                "reached": ["yes" if r != math.inf else "no" for r in lead_cols[5]],
                "reached_at": _stamps(lead_cols[5], origin),
                "qualified": ["yes" if q else "no" for q in lead_cols[6]],
                "won": ["yes" if w else "no" for w in lead_cols[7]],
                "deal_value": ["" if math.isnan(v) else f"{v:.2f}" for v in lead_cols[8]],
                "closed_at": _stamps(lead_cols[9], origin),
                "owner": ["" if o < 0 else f"rep_{o:03d}" for o in lead_cols[10]],
                "lost_reason": list(lead_cols[11]),
            }
        )
        acts = sorted(self.activities, key=lambda row: (row[1], row[0]))
        act_cols = list(zip(*acts, strict=True)) if acts else [()] * 6
        activities = pd.DataFrame(
            {
                "lead_id": [f"L{i:07d}" for i in act_cols[0]],
                "timestamp": _stamps(act_cols[1], origin),
                "type": list(act_cols[2]),
                "outcome": list(act_cols[3]),
                "duration_seconds": [f"{d * 60:.1f}" for d in act_cols[4]],
                "owner": [f"rep_{o:03d}" for o in act_cols[5]],
            }
        )
        return leads, activities

    def write(self, folder: str | Path, start: str = EXPORT_START) -> tuple[Path, Path]:
        """Write ``leads.csv`` and ``activities.csv`` into *folder* (each atomically)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        leads, activities = self.tables(start)
        paths = (folder / "leads.csv", folder / "activities.csv")
        staged = [
            _stage_csv(table, path) for table, path in zip((leads, activities), paths, strict=True)
        ]
        for temp, path in zip(staged, paths, strict=True):
            os.replace(temp, path)
        return paths


def _stamps(minutes: Iterable[float], origin: np.datetime64) -> list[str]:
    """Engine minutes -> ISO 8601 UTC text to the second ('' for never)."""
    values = np.fromiter(minutes, dtype=float)
    finite = np.isfinite(values)
    seconds = np.zeros(values.size, dtype=np.int64)
    seconds[finite] = np.round(values[finite] * 60.0).astype(np.int64)
    text = np.datetime_as_string(origin + seconds.astype("timedelta64[s]"), unit="s")
    return [
        f"{t}+00:00" if ok else "" for t, ok in zip(text.tolist(), finite.tolist(), strict=True)
    ]


def stage_file(path: Path) -> tuple[Any, Path]:
    """An open text file next to *path* to be renamed onto it (ordinary permissions)."""
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(name, 0o666 & ~umask)
    return os.fdopen(handle, "w", encoding="utf-8", newline=""), Path(name)


def _stage_csv(table: pd.DataFrame, path: Path) -> Path:
    f, name = stage_file(path)
    with f:
        table.to_csv(f, index=False, lineterminator="\n")
    return name


def simulate_export(
    scenario: Scenario, cadence: Cadence, seed: np.random.SeedSequence
) -> CrmRecorder:
    """Simulate one replication with a :class:`CrmRecorder` attached; returns the recorder."""
    from sim.engine.floor import SalesFloor

    recorder = CrmRecorder([source.name for source in scenario.sources])
    floor = SalesFloor(scenario, cadence, seed, recorder=recorder)
    floor.simulate()
    return recorder.finish(floor)


def export_replication(
    run_dir: str | Path, replication: int = 0, out: str | Path | None = None
) -> tuple[Path, Path, int, int]:
    """Re-simulate replication *replication* of a finished run folder and write its CRM export.

    Returns the two paths and the numbers of leads and activities written.
    """
    from sim.engine.streams import replication_seeds
    from sim.experiment import load_experiment

    folder = Path(run_dir)
    config = folder / "config.yaml"
    if not folder.is_dir() or not config.is_file():
        raise ConfigError(
            f"{folder}: not a run folder (expected the config.yaml that 'python -m sim run' writes)"
        )
    if replication < 0:
        raise ConfigError(f"--replication {replication}: expected a whole number >= 0")
    experiment = load_experiment(config)
    manifest = folder / "manifest.json"
    ran = experiment.replications
    if manifest.is_file():
        import json

        with contextlib.suppress(ValueError, TypeError, OSError):
            ran = int(json.loads(manifest.read_text(encoding="utf-8")).get("replications", ran))
    if replication >= ran:
        raise ConfigError(
            f"--replication {replication}: the run in {folder} has {ran} replication(s); "
            f"expected 0 to {ran - 1}"
        )
    seed = replication_seeds(experiment.seed, replication + 1)[replication]
    recorder = simulate_export(experiment.scenario, experiment.policy, seed)
    target = Path(out) if out is not None else folder / "crm" / f"replication-{replication}"
    leads, activities = recorder.write(target)
    return leads, activities, len(recorder.leads), len(recorder.activities)
