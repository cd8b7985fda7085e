"""BENCHMARKS.md sections for `sections_new`: each takes a result and returns markdown lines."""

from __future__ import annotations


def adapt(s: dict) -> list[str]:
    f = s["figures"]
    out = [
        (
            "| corrected | review: accuracy before -> after | review: macro-F1 before -> after "
            "| random: accuracy before -> after | random: macro-F1 before -> after |"
        ),
        "|---|---|---|---|---|",
    ]
    for r in f.get("pooled", []):
        out.append(
            f"| {r['fraction']:.0%} | {r['review_before_accuracy']:.1%} -> "
            f"{r['review_after_accuracy']:.1%} | {r['review_before_macro_f1']:.3f} -> "
            f"{r['review_after_macro_f1']:.3f} | {r['random_before_accuracy']:.1%} -> "
            f"{r['random_after_accuracy']:.1%} | {r['random_before_macro_f1']:.3f} -> "
            f"{r['random_after_macro_f1']:.3f} |"
        )
    sounds = sum(fold["sounds"] for fold in f.get("folds", {}).values())
    sp, re = f["speed"], f["rescan"]
    return out + [
        "",
        (
            f"{sounds} drum sounds of GeneralUser GS's kits. Review's picks labelled at random "
            f"instead (10 % and 20 %): {f.get('noisy_changed', 0)} answers changed (the "
            "self-check keeps the model's answers when the corrections do not hold up)."
        ),
        "",
        (
            f"Speed: {sp['sounds']:,} sounds with {sp['corrections']} corrections re-answered in "
            f"{sp['adapt_seconds']:.2f} s (fit {sp['fit_seconds']:.2f} s, fake unit vectors); "
            f"`review --top 20` over them {sp['review_top20_seconds']:.2f} s. A library of "
            f"{re['files']:,} files already classified, {re['corrections']} corrections: "
            f"re-scan {re['rescan_seconds']:.2f} s, with adaptation {re['adapted_seconds']:.2f} s "
            f"({re['adapted_seconds'] / max(re['rescan_seconds'], 1e-9):.1f}x)."
        ),
    ]


def browser(s: dict) -> list[str]:
    f = s["figures"]
    out = [
        (
            "| sounds | page load (list drawn) | /api/sounds | map layout (PCA) "
            "| map first render | map redraw | hover |"
        ),
        "|---|---|---|---|---|---|---|",
    ]
    for r in f["sizes"]:
        out.append(
            f"| {r['sounds']:,} | {r['page_load_seconds']:.2f} s | {r['api_sounds_ms']:.0f} ms "
            f"({r['api_sounds_kb']:,} KB) | {r['pca_seconds']:.2f} s "
            f"| {r['map_first_render_seconds']:.2f} s | {r['map_draw_ms']:.1f} ms "
            f"| {r['map_hover_ms']:.2f} ms |"
        )
    return out + ["", f"Browser: {f['browser']}."]


def _pct(x) -> str:
    return "—" if x is None else f"{x:.1%}"


def sources(s: dict) -> list[str]:
    f = s["figures"]
    p = f["pooled"]
    target = {"two": "99.5 %", "four": "96 %", "macro": "0.88 (no class below 0.75)"}
    out = [
        f"Seed {f.get('seed', 0)}, {f.get('window_seconds', 1.0):g} s window, {f['epochs']} epochs.",
        "",
        "| | target | all sources, pooled | met |",
        "|---|---|---|---|",
        (
            f"| kick vs snare | {target['two']} | {_pct(p['two']['accuracy'])} "
            f"| {'yes' if p['two']['accuracy'] >= 0.995 else 'no'} |"
        ),
        (
            f"| kick, snare, tom, hi-hat | {target['four']} | {_pct(p['four']['accuracy'])} "
            f"| {'yes' if p['four']['accuracy'] >= 0.96 else 'no'} |"
        ),
        (
            f"| eight drum classes, macro-F1 | {target['macro']} | {p['macro_f1']:.3f} (lowest "
            f"class {p['min_class_f1']:.2f}) | "
            f"{'yes' if p['macro_f1'] >= 0.88 and p['min_class_f1'] >= 0.75 else 'no'} |"
        ),
        f"| eight drum classes, accuracy | | {_pct(p['accuracy'])} | |",
        f"| drum sounds | | {p['n']} | |",
        "",
        "Per class F1 (pooled): "
        + ", ".join(f"{c} {v:.2f}" for c, v in p["per_class_f1"].items())
        + ".",
        "",
        "| held-out source | drum sounds | kick vs snare | four classes | 8-class macro-F1 |",
        "|---|---|---|---|---|",
    ]
    for name, r in f["per_source"].items():
        out.append(
            f"| {name} | {r['n']} | {_pct(r['two']['accuracy'])} | {_pct(r['four']['accuracy'])} "
            f"| {r['macro_f1']:.3f} |"
        )
    nd = f["non_drums"]
    out += [
        "",
        "| flagged (answered `other`, or `unsure` below P) | P = 0 | P = 0.5 | P = 0.7 |",
        "|---|---|---|---|",
    ]
    rows = [
        (f"held source's own non-drum notes ({nd['own_source_notes']['n']})",
         nd["own_source_notes"]["flagged"]),
        (f"Hydrogen effects kit, guitar strums ({nd['hydrogen_effects']['n']})",
         nd["hydrogen_effects"]["flagged"]),
        (f"drums (target at most 3 %) ({p['n']})", p["drums_flagged"]),
    ]  # fmt: skip
    for name, flags in rows:
        if flags:
            out.append(
                f"| {name} | " + " | ".join(_pct(flags[k]) for k in ("0", "0.5", "0.7")) + " |"
            )
    classes = list(p["per_class_f1"])
    out += ["", "Confusion (pooled; rows true, columns predicted):", ""]
    out += ["| | " + " | ".join(classes) + " |", "|---|" + "---|" * len(classes)]
    out += [
        f"| {c} | " + " | ".join(map(str, row)) + " |" for c, row in zip(classes, p["confusion"])
    ]
    return out


def scale(s: dict) -> list[str]:
    c, t = s["figures"]["classify"], s["figures"]["train"]
    rows = [
        f"| local, 2 workers | {c['local_files_per_s']:,.0f} | 1.00x |",
        f"| --engine ray, 1 actor | {c['ray_1_files_per_s']:,.0f} | {c['ray_1_vs_local']:.2f}x |",
        f"| --engine ray, 2 actors | {c['ray_2_files_per_s']:,.0f} | {c['ray_2_vs_local']:.2f}x |",
    ]
    out = [
        (
            f"Classifying {c['files']:,} files (`{c['model']}` net; starting the local Ray "
            f"cluster took {c['ray_cluster_start_s']} s more):"
        ),
        "",
        "| engine | files/s | vs local |",
        "|---|---|---|",
        *rows,
        "",
        f"Training {t['files']} files for {t['epochs']} epochs (`{t['model']}`):",
        "",
        "| run | fit | whole command |",
        "|---|---|---|",
    ]
    runs = [
        (f"--nproc 1, torch's default {t.get('torch_threads_default', '?')} threads", "nproc_1"),
        ("--nproc 1, one thread", "nproc_1_threads_1"),
        ("--nproc 2, one thread per rank", "nproc_2"),
    ]
    for name, key in runs:
        if f"{key}_fit_s" in t:
            out.append(f"| {name} | {t[key + '_fit_s']} s | {t[key + '_wall_s']} s |")
    out += [
        "",
        (
            f"Two ranks against one process on one thread: fit {t['fit_speedup_vs_1_thread']:.2f}x "
            f"as fast; against torch's default threads: fit {t['fit_speedup']:.2f}x, whole "
            f"command {t['wall_speedup']:.2f}x (starting the ranks costs seconds)."
        ),
    ]
    return out


def window(s: dict) -> list[str]:
    f = s["figures"]
    out = [
        (
            "| window | seed | kick vs snare | four classes | 8-class macro-F1 | hihat F1 | cymbal F1 "
            "| kick F1 | drums flagged | held source's non-drums flagged |"
        ),
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in f["runs"]:
        p, f1 = r["pooled"], r["pooled"]["per_class_f1"]
        own = r["non_drums"]["own_source_notes"]["flagged"]
        out.append(
            f"| {r['window_seconds']:g} s | {r['seed']} | {_pct(p['two']['accuracy'])} "
            f"| {_pct(p['four']['accuracy'])} | {p['macro_f1']:.3f} | {f1['hihat']:.2f} "
            f"| {f1['cymbal']:.2f} | {f1['kick']:.2f} | {_pct(p['drums_flagged']['0'])} "
            f"| {_pct(own['0'] if own else None)} |"
        )
    without = f["without_soundfonts"]
    with_sf = next(
        r["per_source"]["hydrogen"]
        for r in f["runs"]
        if r["window_seconds"] == 1.0 and r["seed"] == without["seed"]
    )
    out += [
        "",
        (
            f"The Hydrogen kits never heard (seed {without['seed']}, 1 s window), by nets "
            f"trained on {', '.join(without['sources'])} and the soundfont kits named (all "
            "three: the Hydrogen fold above, which also trains on GeneralUser's melodic notes):"
        ),
        "",
        (
            "| soundfont kits in training | kick vs snare | four classes | 8-class macro-F1 "
            "| lowest class F1 |"
        ),
        "|---|---|---|---|---|",
    ]
    rows = [("none", without)]
    rows += [(", ".join(r["added"]), r) for r in f.get("added_alone", [])]
    for name, r in [*rows, ("all three", with_sf)]:
        out.append(
            f"| {name} | {_pct(r['two']['accuracy'])} | {_pct(r['four']['accuracy'])} "
            f"| {r['macro_f1']:.3f} | {r['min_class_f1']:.2f} |"
        )
    return out


def hats(s: dict) -> list[str]:
    f = s["figures"]
    sources = [k for k in next(iter(f["rule"].values())) if k != "all"]
    out = [
        "Named: " + ", ".join(f"{k} {n}" for k, n in f["sub_labels"].items()) + ".",
        "",
        "| open at or above (s) | all hats ("
        + str(f["hats"])
        + ") | "
        + " | ".join(sources)
        + " |",
        "|---|---|" + "---|" * len(sources),
    ]
    for t, r in f["rule"].items():
        used = " (drumnet's)" if float(t) == f["threshold_used"] else ""
        out.append(
            f"| {t}{used} | {_pct(r['all'])} | " + " | ".join(_pct(r[k]) for k in sources) + " |"
        )
    out += [
        "",
        (
            f"Open hats ring {min(f['open_seconds']):.2f}-{max(f['open_seconds']):.2f} s to -40 dB; "
            f"closed and pedal hats at most {f['closed_or_pedal_seconds_max']:.2f} s."
        ),
    ]
    return out


SECTIONS = (
    (
        "window",
        "Window: 1 s or 2 s, and what the soundfont kits add",
        window,
        (
            "The default recipe cross-validated by source as in the next section "
            "(`benchmarks/bench_sources.py`), with the study's 1 s window and with 2 s (the "
            "same 23 ms chunks, twice as many): an open hat still rings after the first "
            "second, as a cymbal does, and dies soon after. Pooled over the four held-out "
            "sources; drums flagged: answered `other`. The two windows are level within the "
            "spread of seeds, so the shipped nets keep 1 s, at half the cost."
        ),
    ),
    (
        "hats",
        "Open or closed: the decay rule on the hats the soundfonts name",
        hats,
        (
            "`drumnet kit` and the browser's kit builder put a hat on the closed or the open pad "
            "by its file name, else by how long it rings to -40 dB (`benchmarks/bench_hats.py`). "
            "The soundfonts name their hats (GM notes 42, 44, 46), so their renders measure "
            "that rule. With the rule right on every named hat, and so few of them, a "
            "learnt sub-label head would have nothing to beat and too little to learn from: "
            "none was trained, and the 8-class answer says `hihat`."
        ),
    ),
    (
        "sources",
        "Recording chains never heard: cross-validation by source",
        sources,
        (
            "The shipped (default) recipe, one fold per data source "
            "(`benchmarks/bench_sources.py`): each fold's net never heard the held source's "
            "kits, nor its train-only material (GeneralUser's melodic notes leave with "
            "GeneralUser). Pooled, every drum is heard by a net that never heard its recording "
            "chain. Non-drums: the held source's own melodic notes, and the Hydrogen effects "
            "kit, which no recipe trains on."
        ),
    ),
    (
        "adapt",
        "Learning from corrections",
        adapt,
        (
            "A user meets a source the shipped net never heard: it classifies GeneralUser GS's "
            "drum kits (`benchmarks/adapt_folds.py`, `shipped_arrays`); the user corrects K "
            "files, chosen by `drumnet review` or at random, and "
            "classifies again. Accuracy and macro-F1 are on the files not corrected "
            "(`benchmarks/bench_adapt.py`; random: the mean of 5 draws)."
        ),
    ),
    (
        "browser",
        "The browser",
        browser,
        (
            "`drumnet browse` on fake libraries of synthetic index rows (`benchmarks/"
            "bench_browser.py`), measured in headless Debian chromium: the page until the list "
            "is drawn (median of 3), the JSON of every sound, the map's layout, its first "
            "render, a redraw (as after a zoom) and one hover (main-thread time)."
        ),
    ),
    (
        "scale",
        "Beyond one machine, measured on one",
        scale,
        (
            "`drumnet classify --engine ray` on a local two-CPU Ray cluster against a local run, "
            "and `drumnet train --nproc` 1 against 2, on the same files in the same run "
            "(`benchmarks/bench_scale.py`; docs/scale.md says what a cluster changes)."
        ),
    ),
)
