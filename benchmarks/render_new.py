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


SECTIONS = (
    (
        "adapt",
        "Learning from corrections",
        adapt,
        (
            "A user meets a source no net heard: a net of the shipped recipe trained without "
            "GeneralUser GS (`benchmarks/adapt_folds.py --source generaluser`) classifies its "
            "kits; the user corrects K files, chosen by `drumnet review` or at random, and "
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
)
