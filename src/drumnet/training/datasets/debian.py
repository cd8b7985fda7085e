"""Fetch Debian packages without root: `apt-get download` + `dpkg-deb -x` into the cache.

The extraction root (`data_dir("debian")`: in the cache, or under $DRUMNET_DATA) looks like a
file system (`usr/share/...`), so the data sources find their files at the paths the packages
document. Fetching is idempotent: a marker per package records the version extracted, and a
lock keeps two runs from colliding.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from drumnet.cache import data_dir

WAY_OUT = "run `sudo apt-get update`, or point `--data` at a folder of samples instead"
_MARKERS = ".drumnet-packages"  # inside the extraction root: one file per package, its version


class FetchError(RuntimeError):
    """A package could not be fetched; the message says what to do about it."""


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise FetchError(f"`{name}` not found: fetching Debian packages needs apt; {WAY_OUT}")
    return path


def _run(cmd: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)


def _have_package_lists() -> bool:
    lists = Path("/var/lib/apt/lists")
    return lists.is_dir() and any(lists.glob("*_Packages*"))


def _download(names: list[str], dest: Path) -> None:
    """`apt-get download` into dest; with no package lists, update once when root."""
    apt = _tool("apt-get")
    result = _run([apt, "download", *names], cwd=dest)
    if result.returncode == 0:
        return
    # No package lists (a fresh machine) or stale ones (a 404 for an old version): as root,
    # refresh them once and retry; otherwise say how to.
    if os.geteuid() == 0:
        update = _run([apt, "update"])
        if update.returncode != 0:
            raise FetchError(f"`apt-get update` failed: {update.stderr.strip()}; {WAY_OUT}")
        result = _run([apt, "download", *names], cwd=dest)
        if result.returncode == 0:
            return
    elif not _have_package_lists():
        raise FetchError(f"apt has no package lists, so {names} cannot be found; {WAY_OUT}")
    errors = " ".join(line for line in result.stderr.splitlines() if line.startswith("E:"))
    raise FetchError(
        f"`apt-get download {' '.join(names)}` failed: {errors or result.stderr.strip()}; {WAY_OUT}"
    )


def _deb_field(deb: Path, field: str) -> str:
    result = _run([_tool("dpkg-deb"), "-f", str(deb), field])
    if result.returncode != 0:
        raise FetchError(f"{deb} is not a readable .deb: {result.stderr.strip()}")
    return result.stdout.strip()


@contextmanager
def _locked(path: Path):
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # a second `data fetch` waits instead of mixing files
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def installed_version(name: str, root: Path | None = None) -> str | None:
    """The version of `name` extracted into the cache root, or None."""
    marker = (root or data_dir("debian")) / _MARKERS / name
    return marker.read_text().strip() if marker.is_file() else None


def fetch_packages(names: list[str], force: bool = False, with_dependencies: bool = False) -> Path:
    """Download and extract Debian packages into the cache; returns the extraction root.

    Packages already extracted are skipped unless `force`. With `with_dependencies`, the
    run-time dependencies that are not installed on this system are fetched as well (enough to
    run a program from the extraction root with LD_LIBRARY_PATH). Raises `FetchError`.
    """
    root = data_dir("debian")
    debs = data_dir("debs")
    (root / _MARKERS).mkdir(exist_ok=True)
    with _locked(root / ".lock"):
        if not force and all(installed_version(n, root) for n in names):
            return root  # dependencies, if asked for, came with them
        wanted = missing_dependencies(names) if with_dependencies else list(dict.fromkeys(names))
        todo = [n for n in wanted if force or installed_version(n, root) is None]
        if not todo:
            return root
        _tool("dpkg-deb")
        print(f"drumnet: fetching {', '.join(todo)} into {root} (once)", file=sys.stderr)
        _download(todo, debs)
        for name in todo:
            found = sorted(debs.glob(f"{name}_*.deb"), key=lambda p: p.stat().st_mtime)
            if not found:
                raise FetchError(f"apt-get reported success but no {name}_*.deb is in {debs}")
            deb = found[-1]
            result = _run([_tool("dpkg-deb"), "-x", str(deb), str(root)])
            if result.returncode != 0:
                raise FetchError(f"`dpkg-deb -x {deb.name}` failed: {result.stderr.strip()}")
            (root / _MARKERS / name).write_text(_deb_field(deb, "Version") + "\n")
    return root


def _is_installed(names: list[str]) -> set[str]:
    """Names of the packages dpkg reports as installed on this system."""
    if not names or shutil.which("dpkg-query") is None:
        return set()
    result = _run(["dpkg-query", "-W", "-f=${Package} ${Status}\n", *names])
    return {
        line.split()[0].split(":")[0]
        for line in result.stdout.splitlines()
        if line.endswith("install ok installed")
    }


def _parse_depends(text: str) -> dict[str, list[list[str]]]:
    """`apt-cache depends` output -> package -> groups of alternatives (virtuals resolved)."""
    deps: dict[str, list[list[str]]] = {}
    current, group, in_alternatives = None, [], False
    for line in text.splitlines():
        if not line.startswith(" "):
            current = line.strip()
            deps[current] = []
            continue
        stripped = line.strip()
        if line.startswith("    "):  # a provider of the virtual package just named
            if group and group[-1].startswith("<"):
                group[-1] = stripped
            continue
        kind, _, target = stripped.partition(": ")
        if kind.lstrip("|") not in ("Depends", "PreDepends"):
            continue
        if not in_alternatives:
            group = []
            deps[current].append(group)
        group.append(target)
        in_alternatives = kind.startswith("|")
    return deps


def missing_dependencies(names: list[str]) -> list[str]:
    """`names` plus every package they need at run time that this system does not have."""
    apt_cache = _tool("apt-cache")
    flags = ["--no-recommends", "--no-suggests", "--no-conflicts", "--no-breaks"]
    flags += ["--no-replaces", "--no-enhances"]
    wanted, frontier, seen = list(dict.fromkeys(names)), list(dict.fromkeys(names)), set(names)
    while frontier:
        result = _run([apt_cache, "depends", *flags, *frontier])
        if result.returncode != 0:
            raise FetchError(f"`apt-cache depends` failed: {result.stderr.strip()}; {WAY_OUT}")
        groups = [g for gs in _parse_depends(result.stdout).values() for g in gs]
        candidates = sorted({n for g in groups for n in g if not n.startswith("<")})
        installed = _is_installed(candidates)
        frontier = []
        for group in groups:
            options = [n for n in group if not n.startswith("<")]
            if not options or any(n in installed or n in seen for n in options):
                continue
            seen.add(options[0])
            wanted.append(options[0])
            frontier.append(options[0])
    return wanted
