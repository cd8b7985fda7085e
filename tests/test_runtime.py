"""Process settings for drumnet's own processes (drumnet.runtime)."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

from drumnet.runtime import tune_malloc


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_malloc_thresholds_take_on_glibc():
    code = "from drumnet.runtime import tune_malloc; print(tune_malloc())"  # a fresh process
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"
    assert tune_malloc() is True  # and again, harmlessly
