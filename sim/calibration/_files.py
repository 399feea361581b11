"""Writing several files so that either all of them appear, complete, or none changes."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO


def write_files_atomically(files: Sequence[tuple[Path, Callable[[TextIO], object]]]) -> None:
    """Write each ``(path, write)``: *write* fills a temporary file beside *path*; once every
    file is written, each is renamed into place. On any error the temporary files are removed
    and no file is left half-written."""
    staged: list[tuple[Path, Path]] = []
    try:
        for path, write in files:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, name = _stage_file(path)
            staged.append((name, path))
            with handle:
                write(handle)
        for temp, path in staged:
            os.replace(temp, path)
    finally:
        for temp, _ in staged:
            temp.unlink(missing_ok=True)


def _stage_file(path: Path) -> tuple[TextIO, Path]:
    """An open text file next to *path* to be renamed onto it (ordinary permissions)."""
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(name, 0o666 & ~umask)
    return os.fdopen(handle, "w", encoding="utf-8", newline=""), Path(name)
