"""Reading user files safely, and the project tree that confines the files a scenario names.

Every file a user hands the engine (scenario, calibration, registry, calibration config, data)
is read through :func:`read_text`: a size limit checked before reading, UTF-8 only (a byte-order
mark, UTF-16 or another encoding gets a message saying how to save the file), no symbolic-link
loop, a regular file only (a folder or a pipe would hang or mislead). :func:`read_toml` adds
TOML parsing with a bound on nesting. Each problem is an :class:`~simulator.errors.InputError`
naming the file.

**Project tree.** A scenario may only read files (``extends``, ``scenario.calibration``,
``scenario.targets``, ``scenario.satellites``) inside its project: the nearest folder above the
scenario file that holds a ``scenarios/`` folder; failing that, the nearest holding ``.git``;
failing that, the scenario file's own folder. Paths are compared after resolving symbolic links,
so a link cannot lead out. ``--allow-outside`` (``allow_outside=True``) lifts the rule.
"""

from __future__ import annotations

import codecs
import os
import stat
import tomllib
from pathlib import Path

from .errors import InputError

#: Largest scenario, calibration or registry file read (bytes); the shipped ones are under 100 kB.
MAX_TOML_BYTES = 1_000_000
#: Largest tidy data file read (bytes).
MAX_CSV_BYTES = 50_000_000
#: Deepest nesting of tables and arrays accepted in a TOML file (the shipped files use 4).
MAX_TOML_DEPTH = 32


def resolve(path: str | Path, *, what: str = "file", key: str | None = None, file: str | Path | None = None) -> Path:
    """``path`` made absolute with symbolic links resolved; a link loop or a NUL character (no
    file name holds one) is an InputError."""
    if "\x00" in str(path):
        raise InputError(f"the {what} path {str(path)!r} holds a NUL character, which no file name can",
                         file=file or "argument", key=key)
    try:
        return Path(path).resolve()
    except (RuntimeError, OSError) as exc:  # RuntimeError: 'Symlink loop' before Python 3.13
        raise InputError(f"cannot resolve the {what} path '{path}': {_reason(exc)}", file=file or path, key=key) from None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[0].lower() + exc.strerror[1:]
    text = str(exc)
    return "symbolic link loop" if "loop" in text.lower() else text


def read_bytes(path: str | Path, *, what: str = "file", limit: int = MAX_TOML_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (checked before reading)."""
    path = Path(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputError(f"{what} not found", file=path) from None
    except (OSError, RuntimeError) as exc:
        raise InputError(f"cannot read the {what}: {_reason(exc)}", file=path) from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(f"expected a {what}, found a folder", file=path)
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"expected a {what}, found something that is not a regular file", file=path)
    if info.st_size > limit:
        raise InputError(f"the {what} is {info.st_size:,} bytes, more than the limit of {limit:,}: refused "
                         "before reading (is it the right file?)", file=path)
    try:
        with path.open("rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise InputError(f"cannot read the {what}: {_reason(exc)}", file=path) from None
    if len(data) > limit:
        raise InputError(f"the {what} is more than the limit of {limit:,} bytes", file=path)
    return data


def decode_utf8(data: bytes, *, file: str | Path, what: str = "file") -> str:
    """UTF-8 text of ``data``; a BOM, UTF-16, binary content or another encoding is an InputError."""
    if data.startswith(codecs.BOM_UTF8):
        raise InputError(f"the {what} starts with a UTF-8 byte-order mark (BOM): save it as UTF-8 without BOM "
                         "(in most editors: encoding 'UTF-8', not 'UTF-8 with BOM')", file=file)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InputError(f"the {what} is UTF-16 text: save it as UTF-8", file=file)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise InputError(f"the {what} is not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}): save it as "
                         "UTF-8", file=file) from None
    if "\x00" in text:
        raise InputError(f"the {what} holds NUL characters: it is a binary file, not text", file=file)
    return text


def read_text(path: str | Path, *, what: str = "file", limit: int = MAX_TOML_BYTES) -> str:
    """The UTF-8 text of a regular file of at most ``limit`` bytes (see the module docstring)."""
    return decode_utf8(read_bytes(path, what=what, limit=limit), file=path, what=what)


def _depth(value) -> int:
    """Nesting depth of parsed TOML (a table or array counts one level), without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, depth + 1)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def parse_toml(text: str, *, file: str | Path, what: str = "file") -> dict:
    """Parse TOML text; syntax errors and nesting deeper than :data:`MAX_TOML_DEPTH` are InputErrors."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", file=file) from None
    except RecursionError:
        raise InputError(f"the {what} is nested too deeply (more than {MAX_TOML_DEPTH} levels)", file=file) from None
    if _depth(data) > MAX_TOML_DEPTH:
        raise InputError(f"the {what} is nested too deeply (more than {MAX_TOML_DEPTH} levels of tables and arrays)",
                         file=file)
    return data


def read_toml(path: str | Path, *, what: str = "file", limit: int = MAX_TOML_BYTES) -> dict:
    """Read and parse a TOML file (see :func:`read_text` and :func:`parse_toml`)."""
    return parse_toml(read_text(path, what=what, limit=limit), file=path, what=what)


# ---------------------------------------------------------------- the project tree


def project_root(file: str | Path) -> Path:
    """The project tree of a file: the nearest folder above it holding ``scenarios/``, else the
    nearest holding ``.git``, else the file's own folder (resolved)."""
    start = resolve(file).parent
    for marker in ("scenarios", ".git"):
        for folder in (start, *start.parents):
            candidate = folder / marker
            try:
                found = candidate.is_dir() if marker == "scenarios" else os.path.lexists(candidate)
            except OSError:
                found = False
            if found:
                return folder
    return start


def confine(path: str | Path, root: Path, *, file: str | Path, key: str, what: str) -> Path:
    """``path`` resolved, refused unless it lies inside ``root`` (the project tree)."""
    resolved = resolve(path, what=what, key=key, file=file)
    if resolved != root and root not in resolved.parents:
        raise InputError(f"the {what} '{resolved}' is outside the project tree {root}: only files inside it are "
                         "read (use --allow-outside, or allow_outside=True, to lift this)", file=file, key=key)
    return resolved
