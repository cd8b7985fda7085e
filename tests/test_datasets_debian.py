"""Fetching Debian packages without root: dependency parsing and the errors people see."""

from __future__ import annotations

import subprocess

import pytest

from drumnet.training.datasets import debian
from drumnet.training.datasets.debian import FetchError, _parse_depends, fetch_packages

DEPENDS = """libpulse0
  Depends: libasyncns0
  Depends: libc6
  Recommends: pulseaudio
 |Depends: libsystemd0
  Depends: libelogind0
  Depends: <libvirtual>
    libprovider1
espeak-ng
  PreDepends: dpkg
"""


def test_parse_depends_groups_alternatives_and_resolves_virtuals():
    assert _parse_depends(DEPENDS) == {
        "libpulse0": [["libasyncns0"], ["libc6"], ["libsystemd0", "libelogind0"], ["libprovider1"]],
        "espeak-ng": [["dpkg"]],
    }


def test_missing_tools_say_what_to_do(isolated_cache, monkeypatch):
    monkeypatch.setattr(debian.shutil, "which", lambda name: None)
    with pytest.raises(FetchError, match="sudo apt-get update.*--data"):
        fetch_packages(["hydrogen-drumkits"])


def _fake_apt(calls: list, fail_until_update: bool):
    state = {"updated": False}

    def run(cmd, cwd=None):
        calls.append(cmd[1:])
        if cmd[1] == "update":
            state["updated"] = True
            return subprocess.CompletedProcess(cmd, 0, "", "")
        ok = state["updated"] or not fail_until_update
        return subprocess.CompletedProcess(cmd, 0 if ok else 100, "", "E: Unable to locate package")

    return run


def test_no_package_lists_as_user_raises_clear_error(isolated_cache, monkeypatch):
    calls: list = []
    monkeypatch.setattr(debian, "_run", _fake_apt(calls, fail_until_update=True))
    monkeypatch.setattr(debian, "_have_package_lists", lambda: False)
    monkeypatch.setattr(debian.os, "geteuid", lambda: 1000)
    with pytest.raises(FetchError, match="no package lists.*sudo apt-get update"):
        debian._download(["hydrogen-drumkits"], isolated_cache)
    assert ["update"] not in calls


def test_no_package_lists_as_root_updates_once_and_retries(isolated_cache, monkeypatch):
    calls: list = []
    monkeypatch.setattr(debian, "_run", _fake_apt(calls, fail_until_update=True))
    monkeypatch.setattr(debian, "_have_package_lists", lambda: False)
    monkeypatch.setattr(debian.os, "geteuid", lambda: 0)
    debian._download(["hydrogen-drumkits"], isolated_cache)
    assert [c[0] for c in calls] == ["download", "update", "download"]


def test_stale_package_lists_as_root_update_and_retry(isolated_cache, monkeypatch):
    calls: list = []
    monkeypatch.setattr(debian, "_run", _fake_apt(calls, fail_until_update=True))
    monkeypatch.setattr(debian, "_have_package_lists", lambda: True)
    monkeypatch.setattr(debian.os, "geteuid", lambda: 0)
    debian._download(["hydrogen-drumkits"], isolated_cache)
    assert [c[0] for c in calls] == ["download", "update", "download"]


def test_unknown_package_names_it(isolated_cache, monkeypatch):
    monkeypatch.setattr(debian, "_run", _fake_apt([], fail_until_update=True))
    monkeypatch.setattr(debian, "_have_package_lists", lambda: True)
    monkeypatch.setattr(debian.os, "geteuid", lambda: 1000)
    with pytest.raises(FetchError, match="Unable to locate package"):
        debian._download(["no-such-package"], isolated_cache)


@pytest.mark.hydrogen
@pytest.mark.slow
def test_fetch_is_idempotent(hydrogen_kits, monkeypatch):
    root = hydrogen_kits.parents[4]  # <root>/usr/share/hydrogen/data/drumkits
    assert debian.installed_version("hydrogen-drumkits", root)

    def no_apt(*args, **kwargs):
        raise AssertionError("apt was called although the packages are extracted")

    monkeypatch.setattr(debian, "_run", no_apt)
    assert fetch_packages(["hydrogen-drumkits", "hydrogen-data"]) == root
