"""Settings for the processes drumnet owns: the `drumnet` command and its worker processes.

A library never calls these on a caller's process; `drumnet.cli.main` and the classify
workers do. Each is a no-op where the C library lacks the call (not glibc, not Linux).
The thread rule (`default_threads`, `solo_threads`, `torch_threads`) is shared by classify and
dream; a library function that uses it restores the caller's thread count afterwards.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import threading
import time
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


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity, e.g. a container's), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # no sched_getaffinity: not Linux
        return os.cpu_count() or 1


def default_threads(workers: int, in_workers: bool = False) -> int:
    """Torch threads per process that runs the network: the cores shared out among the
    workers if they ran it (`in_workers`), else the cores the decode workers leave free; at
    least one.

    On a busy or small machine an oversubscribed OpenMP pool is many times slower than one
    thread (its threads spin waiting for each other), so this never counts a core twice.
    """
    cores = available_cores()
    if in_workers:
        return max(1, cores // max(1, workers))
    return max(1, cores - max(0, workers))


def _cpu_times() -> tuple[int, int, int] | None:
    """(idle, total) jiffies of all CPUs and how many CPUs, from /proc/stat; None elsewhere."""
    try:
        with open("/proc/stat") as stat:
            lines = stat.read().splitlines()
    except OSError:
        return None
    fields = [int(v) for v in lines[0].split()[1:]]
    cpus = sum(1 for line in lines if line.startswith("cpu") and line[3:4].isdigit())
    return fields[3] + fields[4], sum(fields[:8]), cpus  # idle + iowait; user..steal


def idle_cores(sample_seconds: float = 0.1) -> float:
    """How many of this machine's cores no process used over the last `sample_seconds`
    (Linux: /proc/stat); elsewhere the cores less the 1-minute load average. A sample, not an
    average: a job started a moment ago counts (the load average would take a minute)."""
    before = _cpu_times()
    if before is None:
        try:
            return max(0.0, (os.cpu_count() or 1) - os.getloadavg()[0])
        except (AttributeError, OSError):
            return float(os.cpu_count() or 1)
    time.sleep(sample_seconds)
    after = _cpu_times()
    idle, total = after[0] - before[0], after[1] - before[1]
    return after[2] * idle / total if total > 0 else float(after[2])


# A core counts as free when at least this much of it is idle: a DAW taking half a core
# would still make a second OpenMP thread wait for it at every operation.
FREE_CORE = 0.75


def solo_threads() -> int:
    """Torch threads for one process doing many small operations (dream, style): one per
    core that nothing else is using, at least one.

    An OpenMP pool waits for its slowest thread at every operation, and a thread on a core
    another program keeps busy gets only its time slices: on 2 cores with one busy, a dream
    took 45-234 s with 2 threads and 8-10 s with one (issue 23; BENCHMARKS.md, "Dreaming on
    a busy machine"). Classify sidesteps this with one thread per worker process.
    """
    free = int(idle_cores() + (1 - FREE_CORE))
    return max(1, min(available_cores(), free))


@contextlib.contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Within the block, torch runs `n` intra-op threads (unchanged when None); the caller's
    count comes back afterwards."""
    import torch  # here, not at the top: this module is imported by `drumnet --help`

    before = torch.get_num_threads()
    if n:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
