"""CRM exports: the lead and activity CSV format, and reading it strictly.

Two files describe a team's history (see ``docs/calibration.md`` for the full format):

``leads.csv``, one row per lead::

    lead_id, created_at, source, first_attempt_at, attempts, reached, reached_at,
    qualified, won, deal_value, closed_at, owner, lost_reason

``activities.csv`` (optional), one row per call or touch::

    lead_id, timestamp, type, outcome, duration_seconds, owner

:func:`read_leads` and :func:`read_activities` read them in chunks into compact numpy
arrays (bounded memory for million-row files), checking every row: a problem raises
:class:`~sim.config.ConfigError` naming the file, the line and the column, unless
``skip_bad_rows`` is set, in which case the row is dropped and counted by reason.

:mod:`sim.calibration.recorder` writes the same two files from a simulated run.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from sim.calibration._reading import (
    Chunks,
    Codes,
    ReadOptions,
    RowErrors,
    Skipped,
    file_error,
    parse_bool,
    parse_number,
    parse_times,
    read_header,
)
from sim.config import ConfigError
from sim.config.units import MINUTES_PER_DAY, MINUTES_PER_WEEK

EXPORT_START = "2026-01-05T00:00:00+00:00"
"""The wall-clock time of engine time 0 in exports (a Monday, 00:00 UTC)."""

_MONDAY_EPOCH_MINUTES = 4 * MINUTES_PER_DAY  # 1970-01-05 was a Monday


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
    Column(
        "outcome",
        "text",
        True,
        "for calls: connected, no_answer or voicemail; for emails, texts: replied, no_reply or "
        "opted_out (or a synonym)",
    ),
    Column("duration_seconds", "seconds", False, "rep time the action took, in seconds"),
    Column("owner", "text", False, "the rep who did it"),
)

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
REPLIED_WORDS = frozenset({"replied", "reply", "responded", "response", "positive_reply"})
NO_REPLY_WORDS = frozenset({"no_reply", "no reply", "sent", "delivered", "opened", "clicked"})
TOUCH_OPT_OUT_WORDS = frozenset({"opted_out", "opt_out", "unsubscribed", "stop"})
NO_REPLY, REPLIED, TOUCH_OPTED_OUT = 0, 1, 2
"""A touch's outcome on another channel (email, text, ...): -1 when the words are unknown."""


# --------------------------------------------------------------------------- reading


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
                raise file_error(
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
        raise file_error(
            path,
            f"line 1: missing required column(s) {', '.join(missing)}; the header has: "
            f"{', '.join(header)}. Name the file's columns with --map, e.g. "
            f"--map {missing[0]}=YourColumnName (see docs/calibration.md)",
        )
    return found


@dataclass
class _Chunk:
    """One chunk of an export: its cells by canonical column, line numbers and problems."""

    frame: pd.DataFrame
    columns: dict[str, str]
    lines: np.ndarray
    errors: RowErrors

    def __len__(self) -> int:
        return len(self.frame)

    def cells(self, name: str) -> pd.Series:
        """The text of column *name* (blank cells when the file lacks the optional column)."""
        if name in self.columns:
            return self.frame[self.columns[name]]
        return pd.Series([""] * len(self.frame))


@dataclass
class _Rows:
    """The rows kept from a whole file, one array per field, and what reading them found."""

    data: dict[str, np.ndarray]
    columns: dict[str, str]
    rows_read: int
    skipped: Skipped


def _read_rows(
    path: Path,
    options: ReadOptions,
    wanted: tuple[Column, ...],
    prefix: str,
    parse_chunk: Callable[[_Chunk], dict[str, np.ndarray]],
) -> _Rows:
    """Read *path* chunk by chunk; *parse_chunk* turns a chunk into arrays, flagging bad rows.

    The rows kept are concatenated, with each row's line number in the file as ``lines``.
    """
    codec, header = read_header(path, options)
    columns = _resolve_columns(path, header, wanted, options.mapping, prefix)
    skipped = Skipped()
    parts: dict[str, list[np.ndarray]] = {}
    rows = 0
    usecols = list(dict.fromkeys(columns.values()))
    for frame, lines in Chunks(path, codec, options, usecols):
        rows += len(frame)
        errors = RowErrors(path, lines, skipped, options.skip_bad_rows)
        arrays = parse_chunk(_Chunk(frame, columns, lines, errors))
        keep = errors.finish()
        for name, array in {"lines": lines, **arrays}.items():
            parts.setdefault(name, []).append(array[keep])
    if rows == 0:
        raise file_error(path, "no data rows: the file has a header line only")
    data = {name: np.concatenate(arrays) for name, arrays in parts.items()}
    return _Rows(data, columns, rows, skipped)


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


def read_leads(path: str | Path, options: ReadOptions | None = None) -> LeadTable:
    """Read and check a leads export (see the module docstring and docs/calibration.md)."""
    path = Path(path)
    options = options or ReadOptions()
    sources, owners, reasons = Codes(), Codes(), Codes()

    def lead_arrays(chunk: _Chunk) -> dict[str, np.ndarray]:
        col, errors = chunk.cells, chunk.errors
        ids = col("lead_id").str.strip()
        errors.flag((ids == "").to_numpy(), "lead_id", "empty; expected the lead's id")
        created = parse_times(col("created_at"), "created_at", errors, options, True)
        first = parse_times(col("first_attempt_at"), "first_attempt_at", errors, options, False)
        reached_at = parse_times(col("reached_at"), "reached_at", errors, options, False)
        closed = parse_times(col("closed_at"), "closed_at", errors, options, False)
        attempts = parse_number(col("attempts"), "attempts", errors, True, True)
        reached = parse_bool(col("reached"), "reached", errors)
        qualified = parse_bool(col("qualified"), "qualified", errors)
        won = parse_bool(col("won"), "won", errors)
        value = parse_number(col("deal_value"), "deal_value", errors, False, True)
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
        for name in ("source", "owner"):
            errors.flag(
                col(name).str.contains(r"[\x00-\x1f\x7f]", regex=True).to_numpy(dtype=bool),
                name,
                "contains a line break or another control character; expected a plain name",
            )
        return {
            "ids": ids.to_numpy(dtype=object),
            "created_at": created,
            "created_wall": _local_minutes(col("created_at"), created, options),
            "source": sources.encode(col("source"), default="all"),
            "first_attempt_at": first,
            "attempts": attempts.astype(np.int32),
            "reached": reached,
            "reached_at": reached_at,
            "qualified": qualified,
            "won": won,
            "deal_value": value,
            "closed_at": closed,
            "owner": owners.encode(col("owner")),
            "lost_reason": reasons.encode(col("lost_reason")),
        }

    rows = _read_rows(path, options, LEAD_COLUMNS, "", lead_arrays)
    data = _drop_duplicate_ids(path, rows.data, rows.skipped, options.skip_bad_rows)
    if data["ids"].size == 0:
        raise file_error(path, f"no usable rows: all {rows.rows_read:,} rows were skipped as bad")
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
        columns=rows.columns,
        rows_read=rows.rows_read,
        skipped=rows.skipped,
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
        raise file_error(
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
    touch_outcome: np.ndarray  # NO_REPLY, REPLIED, TOUCH_OPTED_OUT; -1 for calls and other words
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
    kinds, owners = Codes(), Codes()
    index = pd.Index(leads.ids)

    def activity_arrays(chunk: _Chunk) -> dict[str, np.ndarray]:
        col, errors = chunk.cells, chunk.errors
        ids = col("lead_id").str.strip()
        lead = index.get_indexer(ids)
        errors.flag(
            lead < 0,
            "lead_id",
            "no lead with this id in the leads file (or its row was skipped)",
            ids,
        )
        at = parse_times(col("timestamp"), "timestamp", errors, options, True)
        created = np.where(lead >= 0, leads.created_at[np.maximum(lead, 0)], np.nan)
        errors.flag(at < created, "timestamp", "before the lead was created")
        seconds = parse_number(col("duration_seconds"), "duration_seconds", errors, False, True)
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
        touch = np.full(len(chunk), -1, dtype=np.int8)
        for code, words in (
            (NO_REPLY, NO_REPLY_WORDS),
            (REPLIED, REPLIED_WORDS),
            (TOUCH_OPTED_OUT, TOUCH_OPT_OUT_WORDS),
        ):
            touch[outcome_text.isin(words).to_numpy() & ~is_call] = code
        return {
            "lead": lead.astype(np.int64),
            "at": at,
            "kind": kinds.encode(kind_text),
            "call_outcome": outcome,
            "touch_outcome": touch,
            "duration_minutes": seconds / 60.0,
            "owner": owners.encode(col("owner")),
        }

    rows = _read_rows(path, options, ACTIVITY_COLUMNS, "activities.", activity_arrays)
    data = rows.data
    return ActivityTable(
        path=path,
        lead=data["lead"],
        lines=data["lines"],
        at=data["at"],
        kind=data["kind"],
        kinds=kinds.names,
        call_outcome=data["call_outcome"],
        touch_outcome=data["touch_outcome"],
        duration_minutes=data["duration_minutes"],
        owner=data["owner"],
        owners=owners.names,
        columns=rows.columns,
        rows_read=rows.rows_read,
        skipped=rows.skipped,
    )
