"""Atomic file writing: outputs appear complete or not at all, and existing files are never clobbered
unless the caller asks for it."""

from __future__ import annotations

import errno
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from wavemix_inpaint.errors import DiskFullError, InputError


@contextmanager
def atomic_path(path: str | os.PathLike, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; on success it is renamed onto ``path``.

    The rename is atomic on POSIX file systems, so readers never see a half-written file and a crash
    leaves the previous file (if any) intact. With ``overwrite=False`` an existing target raises
    :class:`InputError` before anything is written.
    """
    target = Path(path)
    if not overwrite and target.exists():
        raise InputError(f"refusing to overwrite existing file {target} (choose another output path)")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{_temporary_stem(target.name)}.", suffix=".tmp", dir=target.parent)
    except OSError as error:
        _raise_if_full(error, target)
        raise InputError(f"cannot write {target}: {error.strerror or error}") from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        try:
            yield tmp
            os.chmod(tmp, 0o666 & ~_umask())  # mkstemp (and some writers) make 0600 files; use the usual mode
            with open(tmp, "rb+") as handle:
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except OSError as error:
            _raise_if_full(error, target)
            raise
    finally:
        if tmp.exists():
            tmp.unlink()


#: file names are at most 255 bytes on common file systems; the temporary name adds a dot, ".XXXXXXXX.tmp"
MAX_STEM_BYTES = 255 - 1 - 13


def _temporary_stem(name: str) -> str:
    """``name``, or for a name too long to take the temporary suffix, its start plus a hash of it."""
    if len(name.encode("utf-8")) <= MAX_STEM_BYTES:
        return name
    digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:12]
    start = name.encode("utf-8")[: MAX_STEM_BYTES - 13].decode("utf-8", errors="ignore")
    return f"{start}~{digest}"


_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}


def _raise_if_full(error: OSError, target: Path) -> None:
    if error.errno in _FULL:
        raise DiskFullError(
            f"the disk is full writing {target} ({error.strerror}): it was not written and nothing else was changed; "
            "free some space and run again"
        ) from None


def check_writable_folder(folder: str | os.PathLike) -> None:
    """Make sure files can be created in ``folder`` (creating it if needed), before any work is done:
    an :class:`InputError` naming the folder and the reason otherwise."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise InputError(f"cannot write into the output folder {folder}: {error.strerror or error}") from None


def remove_stale_temporaries(paths: list[Path]) -> int:
    """Delete the temporary files that :func:`atomic_path` left for these target ``paths`` when a process was
    killed while writing them (``.NAME.*.tmp`` beside each target); returns how many were removed."""
    wanted: dict[Path, set[str]] = {}
    for path in paths:
        wanted.setdefault(Path(path).parent, set()).add(_temporary_stem(Path(path).name))
    removed = 0
    for folder, names in wanted.items():
        if not folder.is_dir():
            continue
        for stale in folder.glob(".*.tmp"):
            if stale.name[1:].rsplit(".", 2)[0] in names:
                stale.unlink(missing_ok=True)
                removed += 1
    return removed


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: str | os.PathLike, write: Callable[[Path], object], overwrite: bool = True) -> Path:
    """Call ``write(tmp_path)`` and atomically move the result to ``path``."""
    with atomic_path(path, overwrite=overwrite) as tmp:
        write(tmp)
    return Path(path)


def atomic_write_bytes(path: str | os.PathLike, data: bytes, overwrite: bool = True) -> Path:
    """Write ``data`` to ``path`` atomically."""
    return atomic_write(path, lambda tmp: tmp.write_bytes(data), overwrite=overwrite)


def atomic_write_text(path: str | os.PathLike, text: str, overwrite: bool = True) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"), overwrite=overwrite)
