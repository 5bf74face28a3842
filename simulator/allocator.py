"""Ask the C allocator to keep freed memory for reuse (glibc only; elsewhere nothing happens).

Each chunk allocates the same large arrays again. By default glibc serves arrays above 128 KiB
with fresh mmap pages and returns them on free, so every chunk pays page faults and the
kernel's zeroing again: about a sixth of the run time here (see benchmarks/bench_engine.py).
Raising the mmap threshold to its maximum and the trim threshold keeps those pages in the heap.
Memory stays bounded: the heap peaks at what one chunk needs. A process-wide setting, so only
the command line and the benchmark call it; the Python API leaves the process as it finds it.
"""

from __future__ import annotations

import ctypes
import sys

# mallopt parameters of glibc's <malloc.h>
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD_MAX_BYTES = 32 * 2**20  # glibc's ceiling on 64-bit systems
_TRIM_THRESHOLD_BYTES = 2**30


def keep_freed_memory() -> bool:
    """Set glibc's mmap and trim thresholds; True if the C library accepted them."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_MAX_BYTES) and mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD_BYTES))
