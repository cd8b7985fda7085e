"""Process settings for drumnet's own processes (drumnet.runtime)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

from drumnet import runtime
from drumnet.runtime import tune_malloc


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_malloc_thresholds_take_on_glibc():
    code = "from drumnet.runtime import tune_malloc; print(tune_malloc())"  # a fresh process
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"
    assert tune_malloc() is True  # and again, harmlessly


@pytest.mark.parametrize(
    ("cores", "idle", "threads"),
    [
        (2, 2.0, 2),  # an idle machine: every core
        (2, 1.0, 1),  # one core kept busy (a DAW, another job): only the free one
        (2, 1.5, 1),  # half a core taken still stalls a second thread
        (2, 0.1, 1),  # everything busy: at least one
        (8, 5.8, 6),
        (4, 6.0, 4),  # never more than this process may run on
    ],
)
def test_solo_threads_count_only_the_cores_nothing_else_uses(monkeypatch, cores, idle, threads):
    monkeypatch.setattr(runtime, "available_cores", lambda: cores)
    monkeypatch.setattr(runtime, "idle_cores", lambda: idle)
    assert runtime.solo_threads() == threads


def test_idle_cores_is_a_share_of_this_machine():
    assert 0.0 <= runtime.idle_cores(0.02) <= (os.cpu_count() or 1)


def test_classify_rule_never_counts_a_core_twice(monkeypatch):
    monkeypatch.setattr(runtime, "available_cores", lambda: 2)
    assert runtime.default_threads(2, in_workers=True) == 1
    assert runtime.default_threads(2) == 1
    assert runtime.default_threads(0) == 2


def test_torch_threads_restores_the_callers_count():
    import torch

    before = torch.get_num_threads()
    with runtime.torch_threads(3 if before != 3 else 2):
        assert torch.get_num_threads() != before
    assert torch.get_num_threads() == before
