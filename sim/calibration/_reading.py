"""Strict, chunked reading of a CSV export: encodings, headers, cell parsers, bad rows.

The readers in :mod:`sim.calibration.crm` read a file in chunks of :data:`CHUNK_ROWS`
rows of text and turn each column into a compact numpy array with the parsers
below. Every problem is reported through :class:`RowErrors`: it raises a
:class:`~sim.config.ConfigError` naming the file, the line and the column, or (with
``skip_bad_rows``) drops the row and counts it in :class:`Skipped`.
"""

from __future__ import annotations

import codecs
import csv
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.config import ConfigError

CHUNK_ROWS = 200_000
"""Rows read at a time: memory stays bounded by one chunk of text plus compact arrays."""

TRUE_WORDS = frozenset({"yes", "y", "true", "t", "1"})
FALSE_WORDS = frozenset({"no", "n", "false", "f", "0", ""})


def file_error(path: Path, what: str) -> ConfigError:
    """The error for a problem in the file *path*: its name first, then *what* is wrong."""
    return ConfigError(f"{path}: {what}")


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


def read_header(path: Path, options: ReadOptions) -> tuple[str, list[str]]:
    """The codec to read *path* with (checked over the whole file) and its header's names."""
    codec = _check_encoding(path, options.encoding)
    return codec, _header(path, codec, options.delimiter)


def _check_encoding(path: Path, encoding: str) -> str:
    """Fail early, naming the line, if the file is not in *encoding*; returns the codec to use."""
    try:
        with path.open("rb") as f:
            head = f.read(4)
    except FileNotFoundError:
        raise file_error(path, "file not found") from None
    except IsADirectoryError:
        raise file_error(path, "is a folder; expected a CSV file") from None
    except PermissionError:
        raise file_error(path, "cannot read the file (permission denied)") from None
    if not head:
        raise file_error(path, "the file is empty; expected a header line and one row per record")
    codec = codecs.lookup(encoding).name
    if codec == "utf-8":
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise file_error(
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
                    raise file_error(
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
        raise file_error(path, "the file is empty; expected a header line and one row per record")
    if delimiter not in first:
        for other, name in ((";", "semicolon"), ("\t", "tab"), ("|", "pipe")):
            if other in first:
                shown = "\\t" if other == "\t" else other
                raise file_error(
                    path,
                    f"line 1: the header has no {delimiter!r} but {name}s; the file looks "
                    f"{name}-separated: pass --delimiter '{shown}'",
                )
    return [name.strip() for name in next(csv.reader([first], delimiter=delimiter))]


class Chunks:
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
            raise file_error(
                self.path,
                f"malformed CSV: {text} (check the delimiter, --delimiter, and quoting)",
            ) from None
        except UnicodeDecodeError as exc:
            raise file_error(
                self.path, f"cannot read the file as {self.codec} ({exc}); pass --encoding"
            ) from None
        except pd.errors.EmptyDataError:
            raise file_error(
                self.path, "the file is empty; expected a header line and one row per record"
            ) from None


class RowErrors:
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
            raise file_error(
                self.path, self._first[1] + " (or pass --skip-bad-rows to skip such rows)"
            )
        return ~self.bad


_AWARE = r"(?:[zZ]|[+-]\d\d(?::?\d\d)?)$"


def parse_times(
    values: pd.Series, column: str, errors: RowErrors, options: ReadOptions, required: bool
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


def parse_bool(values: pd.Series, column: str, errors: RowErrors) -> np.ndarray:
    text = values.str.strip().str.lower()
    true = text.isin(TRUE_WORDS).to_numpy()
    false = text.isin(FALSE_WORDS).to_numpy()
    errors.flag(~(true | false), column, "expected yes or no (also true/false, 1/0)", values)
    return true


def parse_number(
    values: pd.Series, column: str, errors: RowErrors, integer: bool, blank_ok: bool
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


class Codes:
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
