"""Settings for the processes drumnet owns: the `drumnet` command and its worker processes.

A library never calls these on a caller's process; `drumnet.cli.main` and the classify
workers do. Each is a no-op where the C library lacks the call (not glibc, not Linux).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import threading
from collections.abc import Iterator

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _PR_SET_PDEATHSIG = -1, -3, 1
MMAP_THRESHOLD_BYTES = 32 << 20  # blocks below this come from the heap, not a fresh mmap
TRIM_THRESHOLD_BYTES = 64 << 20  # free heap kept for reuse before it goes back to the system


def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None


def tune_malloc() -> bool:
    """Keep the network's activation buffers in the heap between batches (glibc mallopt).

    Each batch allocates and frees tensors of several MB. By default glibc maps blocks that
    large afresh and returns freed heap to the system, so every batch pays page faults to
    zero the same memory again: the shipped ensemble classified 620-650 files/s in the
    workers, and 1,000-1,070 with these thresholds (BENCHMARKS.md, "Classifying a
    library"). At most TRIM_THRESHOLD_BYTES of free heap stay with each process. Returns
    whether both settings took.
    """
    libc = _libc()
    try:
        return bool(
            libc
            and libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
            and libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES)
        )
    except AttributeError:  # no mallopt in this C library
        return False


def die_with_parent(parent: int) -> None:
    """Make this (worker) process die when its parent does (Linux: PR_SET_PDEATHSIG).

    A parent killed by SIGKILL (or the OOM killer) cannot stop its pool, and the workers,
    each holding the other's end of the task queue, would otherwise wait for ever with the
    model in memory.
    """
    libc = _libc()
    try:
        if libc is None or libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL) != 0:
            return
    except AttributeError:  # no prctl: not Linux
        return
    if os.getppid() != parent:  # the parent died before the prctl
        os._exit(1)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def interrupt_on_sigterm() -> Iterator[None]:
    """Within the block, treat SIGTERM (kill, a closing session, a service manager) as Ctrl-C.

    Python's default ends the process at once, so no `finally` runs: an organize run stopped
    that way could not remove its half-made copy or close its manifest. As KeyboardInterrupt,
    the command cleans up as for Ctrl-C and exits 130. The previous handler comes back after
    the block (a caller's process, e.g. tests calling `main`); off the main thread, where
    Python allows no handler, nothing changes. Workers restore the default
    (`default_sigterm`): their parent decides when they stop.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def default_sigterm() -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
