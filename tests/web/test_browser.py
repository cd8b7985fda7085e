"""The page in a real headless browser (Debian's chromium through pytest-playwright): play on
select, filter, correct a label, build and export a kit, the map draws every sound."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from drumnet.cli import main

pytestmark = pytest.mark.slow  # a browser start and a classified library: several seconds


@pytest.fixture
def app(live_server, page):
    url, state = live_server
    page.goto(url)
    page.wait_for_selector("body[data-ready=true]", timeout=60_000)
    return page, state


def test_selecting_a_row_plays_it(app):
    page, _ = app
    page.click("#list .row >> nth=2")
    page.wait_for_function("document.getElementById('player').currentTime > 0.05", timeout=10_000)
    playing = page.evaluate("Number(document.getElementById('player').dataset.id)")
    assert playing == int(page.get_attribute("#list .row.current", "data-id"))
    page.keyboard.press("ArrowDown")  # moving the selection plays the next sound
    page.wait_for_function(
        f"document.getElementById('player').dataset.id !== '{playing}'", timeout=5_000
    )
    assert page.locator("#list .row.current").count() == 1


def test_filter_by_class(app):
    page, state = app
    page.select_option("#filter-class", "kick")
    page.wait_for_function("document.getElementById('list').dataset.rows !== undefined")
    kicks = [r for r in state.rows if r.label == "kick"]
    assert page.get_attribute("#list", "data-rows") == str(len(kicks))
    badges = page.locator("#list .row .badge").all_inner_texts()
    assert badges and set(badges) == {"kick"}
    page.fill("#filter-text", "pack kick_1")  # every word, in the name or the folder
    names = page.locator("#list .row .name").all_inner_texts()
    assert names and set(names) == {"kick_1.wav"}


def test_correcting_a_label_reaches_classify(app, capsys):
    page, state = app
    page.select_option("#filter-class", "snare")
    row = page.locator("#list .row").first
    sound_id = int(row.get_attribute("data-id"))
    row.click()
    page.select_option("#correct-label", "clap")
    page.click("#correct")
    page.wait_for_function("document.getElementById('correct-result').textContent !== ''")
    assert page.inner_text("#correct-result") == "labelled 1 as clap"
    assert state.rows[sound_id].label == "clap" and state.rows[sound_id].corrected
    capsys.readouterr()
    path = state.rows[sound_id].path
    assert (
        main(["classify", path, "--model", "default", "--workers", "0", "--format", "jsonl"]) == 0
    )
    record = json.loads(capsys.readouterr().out)
    assert record["label"] == "clap" and record["corrected"] is True


def test_build_and_export_a_kit(app, tmp_path):
    page, state = app
    page.click("nav button[data-view=kit]")
    page.click("#kit-suggest")
    page.wait_for_function("document.querySelectorAll('.pad.filled').length >= 4")
    kick = page.get_attribute(".pad[data-pad=kick]", "data-id")
    assert state.rows[int(kick)].label == "kick"
    page.click(".pad[data-pad=kick] .play")
    page.click("nav button[data-view=list]")  # from the list: the detail panel's pad choice
    page.select_option("#filter-class", "snare")
    page.click("#list .row >> nth=1")
    snare = int(page.get_attribute("#list .row.current", "data-id"))
    page.select_option("#pad-choice", "snare")
    page.click("#to-pad")
    page.click("nav button[data-view=kit]")
    assert page.get_attribute(".pad[data-pad=snare]", "data-id") == str(snare)
    out = tmp_path / "browser kit"
    page.fill("#kit-out", str(out))
    page.click("#kit-export button[type=submit]")
    page.wait_for_function("document.getElementById('kit-result').textContent.startsWith('wrote')")
    filled = page.locator(".pad.filled").count()
    files = sorted(p.name for p in out.iterdir())
    assert "drumkit.xml" in files and "drumnet_kit.sfz" in files
    assert len(files) == filled + 2
    assert any(Path(f).name.startswith("kick-") for f in files)


def test_the_map_draws_one_point_per_sound(app):
    page, state = app
    page.click("nav button[data-view=map]")
    page.wait_for_function("Number(document.getElementById('map').dataset.points) > 0")
    placed = int(state.has_vector.sum())
    assert page.get_attribute("#map", "data-points") == str(placed) == str(len(state.rows))
    assert page.get_attribute("#map", "data-drawn") == str(placed)
    # hovering a point plays it; clicking selects it
    point = page.evaluate(
        """() => { const c = document.getElementById('map');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] > 200)
          return [(i / 4) % c.width / devicePixelRatio, Math.floor(i / 4 / c.width) / devicePixelRatio];
        return null; }"""
    )
    assert point is not None
    box = page.locator("#map").bounding_box()
    page.mouse.move(box["x"] + point[0] + 1, box["y"] + point[1] + 1)
    page.wait_for_function("document.getElementById('player').dataset.id !== undefined")
    page.mouse.click(box["x"] + point[0] + 1, box["y"] + point[1] + 1)
    page.wait_for_function("document.getElementById('detail-name').textContent.endsWith('.wav')")


def test_correcting_a_selection_of_three(app):
    page, state = app
    page.select_option("#filter-class", "kick")
    page.click("#list .row >> nth=0")
    page.click("#list .row >> nth=2", modifiers=["Shift"])
    ids = [
        int(i)
        for i in page.eval_on_selector_all("#list .row.selected", "rs => rs.map(r => r.dataset.id)")
    ]
    assert len(ids) == 3
    page.select_option("#correct-label", "tom")
    page.click("#correct")
    page.wait_for_function("document.getElementById('correct-result').textContent !== ''")
    assert page.inner_text("#correct-result") == "labelled 3 as tom"
    assert all(state.rows[i].label == "tom" and state.rows[i].corrected for i in ids)


def test_a_similar_sound_dropped_on_a_pad(app):
    page, _ = app
    page.click("#list .row >> nth=0")
    page.click("#find-similar")
    page.wait_for_selector("#similar li")
    match = page.locator("#similar li").first
    sound_id = match.get_attribute("data-id")
    page.click("nav button[data-view=kit]")
    match.drag_to(page.locator(".pad[data-pad=perc]"))
    page.wait_for_function(
        f"document.querySelector('.pad[data-pad=perc]').dataset.id === '{sound_id}'"
    )
