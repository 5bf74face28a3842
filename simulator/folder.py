"""Writing the files of a run as one set: a complete new folder replaces the old one, or nothing does.

Every file goes into a fresh sibling folder ``.<name>.tmp-<pid>-<token>`` first; only when all
are written (and flushed to disk) does it take the place of ``<name>``. Where the system offers
it (Linux ``renameat2(RENAME_EXCHANGE)``) the two folders are exchanged in one atomic step and
the old one removed; elsewhere the old folder is renamed to ``.<name>.old-<pid>-<token>``, the new
one renamed into place, and the old one removed, and a later run puts back an old folder that a
crash left aside. A run killed at any moment leaves the previous complete set or the new one in
``<name>``, never a mixture and never a hidden temporary file inside it; a killed run's sibling
folders are removed by the next run that writes beside them.

An existing results folder is replaced only with ``force`` (``--force``), and even then only if
it holds nothing but result files: a mistyped ``--out`` never deletes other files.
"""

from __future__ import annotations

import ctypes
import errno
import os
import secrets
import shutil
from pathlib import Path

from .entry import signals_deferred
from .errors import InputError

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _siblings(directory: Path, kind: str) -> list[tuple[Path, int]]:
    """Sibling folders ``.<name>.<kind>-<pid>-<token>`` of ``directory``, with their pid."""
    prefix = f".{directory.name}.{kind}-"
    out = []
    try:
        entries = list(directory.parent.iterdir())
    except OSError:
        return out
    for entry in entries:
        if entry.name.startswith(prefix):
            pid = entry.name[len(prefix):].split("-", 1)[0]
            if pid.isdigit():
                out.append((entry, int(pid)))
    return out


def recover(directory: Path) -> None:
    """Tidy after a killed run: put back an old folder set aside by a run that died between its two
    renames, and remove the temporary and old sibling folders of dead runs."""
    for old, pid in _siblings(directory, "old"):
        if _alive(pid):
            continue
        if not os.path.lexists(directory):
            try:
                os.rename(old, directory)
                continue
            except OSError:
                pass
        shutil.rmtree(old, ignore_errors=True)
    for tmp, pid in _siblings(directory, "tmp"):
        if not _alive(pid):
            shutil.rmtree(tmp, ignore_errors=True)


def check_target(directory: Path, *, force: bool, known: frozenset[str] | set[str], what: str = "run") -> None:
    """Refuse, before any work, an output folder that the run may not replace.

    Without ``force`` an existing non-empty folder is refused; with it, a folder holding anything
    but the ``known`` result files is still refused. A path that exists but is not a folder (or is
    a symbolic link) is always refused. ``what`` names the command's output in messages ("run",
    "report").
    """
    directory = Path(directory)
    recover(directory)
    if directory.is_symlink():
        raise InputError("the output folder is a symbolic link: give the folder it points to as --out", file=directory)
    if not directory.exists():
        return
    if not directory.is_dir():
        raise InputError("the output path exists and is not a folder: remove it or choose another --out", file=directory)
    try:
        entries = sorted(e.name for e in directory.iterdir())
    except OSError as exc:
        raise InputError(f"cannot read the output folder: {_reason(exc)}", file=directory) from None
    if not entries:
        return
    if not force:
        folder = "results folder" if what == "run" else f"{what} folder"
        raise InputError(f"the {folder} already exists: add --force to replace it, or choose another --out",
                         file=directory)
    foreign = [name for name in entries if name not in known]
    if foreign:
        shown = ", ".join(foreign[:5]) + (" …" if len(foreign) > 5 else "")
        folder = "results folder" if what == "run" else f"{what} folder"
        raise InputError(f"the folder holds files that are not results of a {what} ({shown}): --force replaces only a "
                         f"{folder}; choose another --out", file=directory)


def check_free(directory: Path, *, force: bool) -> None:
    """Refuse, before any work, a folder that a command writes its files into as one set
    (:func:`simulator.output.write_set`): one that holds anything already needs ``force`` (its
    files of the same names are then replaced, the others kept); a path that is not a folder is
    refused. Its parent folders are created, and a file must be creatable in it (or beside it)."""
    directory = Path(directory)
    if os.path.lexists(directory) and not directory.is_dir():
        raise InputError("the output path exists and is not a folder: remove it or choose another --out", file=directory)
    if directory.is_dir():
        try:
            entries = any(True for _ in directory.iterdir())
        except OSError as exc:
            raise InputError(f"cannot read the output folder: {_reason(exc)}", file=directory) from None
        if entries and not force:
            raise InputError("the output folder already holds files: add --force to replace them, or choose "
                             "another --out", file=directory)
        trial = directory / f".probe-{os.getpid()}-{secrets.token_hex(4)}"
        try:
            trial.touch(exist_ok=False)
            trial.unlink()
        except OSError as exc:
            raise InputError(f"cannot write in the output folder: {_reason(exc)}", file=directory) from None
        return
    probe(directory)


def probe(directory: Path) -> None:
    """Check, before any work, that folders can be made beside ``directory`` (its parent folders
    are created): a read-only or full disk fails here, not after the run."""
    directory = Path(os.path.abspath(directory))
    try:
        directory.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the folder: {_reason(exc)}", file=exc.filename or directory.parent) from None
    trial = directory.parent / f".{directory.name}.tmp-{os.getpid()}-probe"
    try:
        os.mkdir(trial)
        os.rmdir(trial)
    except OSError as exc:
        raise InputError(f"cannot write in the output's parent folder: {_reason(exc)}", file=directory.parent) from None


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2); False where the system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _write_files(folder: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        with open(folder / name, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())


def write_folder(directory: Path, files: dict[str, bytes], *, force: bool,
                 known: frozenset[str] | set[str] | None = None, what: str = "run") -> list[Path]:
    """Write ``files`` ({name: bytes}) as the whole content of ``directory``, atomically (see the
    module docstring). ``known`` are the names a results folder may hold (default: ``files``);
    ``what`` names the output in messages (:func:`check_target`).

    Raises
    ------
    InputError
        If the folder may not be replaced (:func:`check_target`), or a file cannot be written
        (no permission, disk full …): one line naming the path and the system's reason.
    """
    directory = Path(os.path.abspath(directory))
    known = frozenset(known or files) | frozenset(files)
    parent = directory.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the folder: {_reason(exc)}", file=exc.filename or parent) from None
    check_target(directory, force=force, known=known, what=what)
    token = f"{os.getpid()}-{secrets.token_hex(4)}"
    tmp = parent / f".{directory.name}.tmp-{token}"
    # Ctrl-C and SIGTERM wait for the set to be in place and the temporary folder gone: a signal
    # between its creation and the cleanup, or one that cut the cleanup short, left it behind
    # (the slow kill test saw one in about a hundred handled signals)
    with signals_deferred():
        try:
            os.mkdir(tmp)
        except OSError as exc:
            raise InputError(f"cannot write in the output's parent folder: {_reason(exc)}", file=parent) from None
        try:
            try:
                _write_files(tmp, files)
            except OSError as exc:
                raise InputError(f"cannot write the results: {_reason(exc)}", file=directory) from None
            try:
                _put_in_place(tmp, directory, token)
            except OSError as exc:
                raise InputError(f"cannot put the results in place: {_reason(exc)}", file=directory) from None
        finally:
            shutil.rmtree(tmp, ignore_errors=True)  # the new files (on failure) or the old ones (after a swap)
    return [directory / name for name in files]


def _put_in_place(tmp: Path, directory: Path, token: str) -> None:
    """``tmp`` becomes ``directory``; the old content (if any) ends up in ``tmp``, to be removed."""
    if not os.path.lexists(directory):
        os.rename(tmp, directory)
        return
    if _exchange(tmp, directory):
        return
    old = directory.parent / f".{directory.name}.old-{token}"
    os.rename(directory, old)
    os.rename(tmp, directory)
    os.rename(old, tmp)
