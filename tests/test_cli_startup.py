"""The command starts at once: parsing, --help and usage errors load no heavy library."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

HEAVY = ("torch", "sklearn", "scipy", "matplotlib", "ray")


def loaded_after(code: str, tmp_path) -> dict:
    """Run `code` in a fresh interpreter; return {heavy module: loaded?} and its exit status."""
    probe = f"""
import json, sys
status = None
try:
{chr(10).join("    " + line for line in code.strip().splitlines())}
except SystemExit as exc:
    status = exc.code
print(json.dumps({{"status": status, "loaded": [m for m in {HEAVY!r} if m in sys.modules]}}))
"""
    env = {**os.environ, "DRUMNET_CACHE": str(tmp_path / "cache")}
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_building_the_parser_imports_nothing_heavy(tmp_path):
    got = loaded_after("from drumnet.cli import build_parser\nbuild_parser()", tmp_path)
    assert got["loaded"] == []


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["classify", "--help"],
        ["train", "--help"],
        ["dream", "--help"],
        ["classify"],  # a usage error: no PATH
        ["train", "--epochs", "0"],
        ["nonsense"],
    ],
)
def test_help_and_usage_errors_import_nothing_heavy(argv, tmp_path):
    got = loaded_after(f"from drumnet.cli import main\nmain({argv!r})", tmp_path)
    assert got["loaded"] == []
    assert got["status"] in (0, 2)


def test_label_and_undo_need_no_torch(tmp_path):
    manifest = tmp_path / "none.jsonl"
    code = f"""
from drumnet.cli import main
assert main(["label", "--list"]) == 0
main(["organize", "--undo", {str(manifest)!r}])
"""
    assert loaded_after(code, tmp_path)["loaded"] == []


def test_python_dash_m_drumnet_runs_the_command():
    out = subprocess.run(
        [sys.executable, "-m", "drumnet", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.startswith("drumnet ")


def test_help_lists_everyday_commands_before_training():
    out = subprocess.run(
        [sys.executable, "-m", "drumnet", "--help"], capture_output=True, text=True, check=True
    ).stdout
    order = [out.index(f"    {name}") for name in ("classify", "organize", "similar", "label")]
    assert order == sorted(order) and order[-1] < out.index("    train")


def test_organize_modes_match_the_library():
    from drumnet.cli.organize import MODES
    from drumnet.library.organize import MODES as LIBRARY_MODES

    assert MODES == LIBRARY_MODES


def test_public_api_loads_lazily():
    import drumnet

    assert callable(drumnet.load_model) and callable(drumnet.classify_paths)
    with pytest.raises(AttributeError):
        drumnet.no_such_thing  # noqa: B018
