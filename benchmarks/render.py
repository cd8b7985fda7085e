"""Render benchmarks/results.json as BENCHMARKS.md (only measured numbers, each with its split)."""

from __future__ import annotations

TARGETS = {
    ("kick", "snare"): ("100 %", 0.995),
    ("kick", "snare", "tom", "hihat"): ("98 %", 0.98),
}


def _pct(x) -> str:
    return "–" if x is None else f"{100 * x:.1f} %"


def _machine(section: dict) -> str:
    m = section["machine"]
    quick = " (quick smoke run: fewer epochs, not comparable)" if section.get("quick") else ""
    return f"*Measured {m['date']} on {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB; torch {m['torch']}{quick}.*"


def _data(s: dict) -> list[str]:
    f = s["figures"]
    classes = list(next(iter(f.values()))["per_class"])
    out = [
        "| source | libraries | samples | " + " | ".join(classes) + " |",
        "|---|---|---|" + "---|" * len(classes),
    ]
    for name, row in f.items():
        out.append(
            f"| {name} | {row['libraries']} | {row['samples']} | "
            + " | ".join(str(row["per_class"][c]) for c in classes)
            + " |"
        )
    return out


def _features(s: dict) -> list[str]:
    f = s["figures"]
    keys = [k for k in f if k.endswith("_files_per_s")]
    out = ["| stage | files/s (wall) | files per CPU-second |", "|---|---|---|"]
    for k in keys:
        stage = k[: -len("_files_per_s")]
        out.append(f"| {stage} | {f[k]:.0f} | {f.get(stage + '_files_per_cpu_s', 0):.0f} |")
    out.append(
        f"\n{f.get('files', '?')} files of the Hydrogen kits, 2 decode threads, 1 torch thread, warm page cache."
    )
    return out


def _study(s: dict) -> list[str]:
    out = [
        (
            "| classes | model | random split | split by library | leave-one-kit-out, pooled "
            "(mean ± sd over kits) | study (random split) |"
        ),
        "|---|---|---|---|---|---|",
    ]
    rows = s["figures"]["rows"]
    keys = list(dict.fromkeys((tuple(r["classes"]), r["model"]) for r in rows))
    for classes, model in keys:
        by = {
            r["split"].split(" ")[0]: r
            for r in rows
            if (tuple(r["classes"]), r["model"]) == (classes, model)
        }
        loo = by.get("loo")
        loo_txt = (
            f"{_pct(loo['accuracy'])} ({_pct(loo['fold_accuracy_mean'])} ± "
            f"{_pct(loo['fold_accuracy_std'])}, {loo['folds']} kits)"
            if loo
            else "–"
        )
        study = TARGETS.get(classes, ("–",))[0] if model in ("mlp", "highway") else ""
        out.append(
            f"| {' / '.join(classes)} | {model} | {_pct(by.get('random', {}).get('accuracy'))} "
            f"| {_pct(by.get('library', {}).get('accuracy'))} | {loo_txt} | {study} |"
        )
    return out


def _taxonomy(s: dict) -> list[str]:
    out = [
        (
            "| model | kick vs snare | four classes | 8 drum classes: accuracy / macro-F1 | "
            "9 classes (+ other): accuracy / macro-F1 | per-fold macro-F1 |"
        ),
        "|---|---|---|---|---|---|",
    ]
    for r in s["figures"]["rows"]:
        d = r["drums"]
        out.append(
            f"| {r['model']} | {_pct(r['two']['accuracy'])} | {_pct(r['four']['accuracy'])} "
            f"| {_pct(d['accuracy'])} / {d['macro_f1']:.3f} "
            f"| {_pct(r['accuracy'])} / {r['macro_f1']:.3f} "
            f"| {r['fold_macro_f1_mean']:.3f} ± {r['fold_macro_f1_std']:.3f} |"
        )
    rows = s["figures"]["rows"]
    best = next((r for r in rows if "ensemble" in r["model"]), rows[0])
    single = s["figures"].get("single_seed_drums_macro_f1")
    if single:
        out += [
            "",
            "8-class macro-F1 of the highway net alone, seed by seed: "
            + ", ".join(f"{f:.3f}" for f in single)
            + " (the first is the `highway` row).",
        ]
    out += [
        "",
        f"Per-class F1 ({best['model']}): "
        + ", ".join(f"{c} {f:.2f}" for c, f in best["per_class_f1"].items()),
        "",
    ]
    classes = list(best["per_class_f1"])
    out += [
        "Confusion, pooled over folds (rows true, columns predicted):",
        "",
        "| | " + " | ".join(classes) + " |",
        "|---|" + "---|" * len(classes),
    ]
    for c, row in zip(classes, best["confusion"]):
        out.append(f"| {c} | " + " | ".join(str(n) for n in row) + " |")
    return out + _confidence(s["figures"]) + _errors(s["figures"])


def _confidence(f: dict) -> list[str]:
    """How far the networks' confidence can be trusted on kits never heard."""
    if "confidence" not in f:
        return []
    out = [
        "",
        (
            "How far the confidence that `classify` reports can be trusted on kits never heard "
            "(the same out-of-fold predictions, all 9 classes, as `classify` answers by default): "
            "with `--min-confidence P`, answers below P become `unsure`."
        ),
        "",
        "| model | `--min-confidence` | answered | right when answered | errors made `unsure` |",
        "|---|---|---|---|---|",
    ]
    for name, c in f["confidence"].items():
        out.append(f"| {name} | none | 100.0 % | {_pct(c['accuracy'])} | 0.0 % |")
        for t in c["threshold"]:
            out.append(
                f"| {name} | {t['min_confidence']} | {_pct(t['answered'])} "
                f"| {_pct(t['accuracy_answered'])} | {_pct(t['errors_unsure'])} |"
            )
    out += ["", "| model | confidence | share of sounds | right |", "|---|---|---|---|"]
    for name, c in f["confidence"].items():
        for b in c["bins"]:
            band = f"{b['low']:.2f}-{b['high']:.2f}"
            out.append(
                f"| {name} | {band} | {_pct(b['share'])} ({b['n']}) | {_pct(b['accuracy'])} |"
            )
    return out


def _errors(f: dict, least: int = 3) -> list[str]:
    """The ensemble's errors grouped by kit and confusion: whole instruments show as one row."""
    groups = f.get("errors")
    if not groups:
        return []
    big = [g for g in groups if g["n"] >= least]
    rest = [g for g in groups if g["n"] < least]
    out = [
        "",
        (
            f"Where the ensemble errs: its {sum(g['n'] for g in groups)} wrong answers grouped by "
            f"kit and confusion, the groups of {least} sounds or more (velocity layers of one "
            "instrument are most of each):"
        ),
    ]
    if big:
        out += [
            "",
            "| kit | true | heard as | sounds | mean confidence | files |",
            "|---|---|---|---|---|---|",
        ]
    for g in big:
        files = ", ".join(g["files"][:4]) + (", ..." if len(g["files"]) > 4 else "")
        out.append(
            f"| {g['library']} | {g['true']} | {g['predicted']} | {g['n']} "
            f"| {g['mean_confidence']:.2f} | {files} |"
        )
    if rest:
        out += ["", f"and {len(rest)} smaller groups ({sum(g['n'] for g in rest)} sounds)."]
    return out


def _ablation(s: dict) -> list[str]:
    out = [
        (
            "| lever | 8 drum classes macro-F1 | accuracy, all classes | four classes accuracy "
            "| seconds per fold |"
        ),
        "|---|---|---|---|---|",
    ]
    for r in s["figures"]["rows"]:
        out.append(
            f"| {r['lever']} | {r['drums']['macro_f1']:.3f} | {_pct(r['accuracy'])} "
            f"| {_pct(r['four']['accuracy'])} | {r['seconds'] / max(r['folds'], 1):.0f} |"
        )
    return out


def _other(s: dict) -> list[str]:
    out = [
        "| held out of training | non-drums heard as `other` | drums heard as `other` | non-drums `other` or unsure at 0.7 | drums unsure at 0.7 | drum accuracy when sure (0.7) |",
        "|---|---|---|---|---|---|",
    ]
    for r in s["figures"]["rows"]:
        t = r["thresholds"]["0.7"]
        out.append(
            f"| {r['held_out']} ({r['n_non_drum']} sounds) + held-out kits ({r['n_drums']} drums) "
            f"| {_pct(r['non_drum_called_other'])} | {_pct(r['drums_called_other'])} "
            f"| {_pct(t['non_drum_other_or_unsure'])} | {_pct(t['drums_unsure'])} | {_pct(t['drum_accuracy_when_sure'])} |"
        )
    for r in s["figures"].get("shipped", []):
        out.append(
            f"\nThe shipped ensemble (five nets, none of which heard it) on {r['library']} "
            f"({r['n']} sounds): {_pct(r['called_other'])} `other`, "
            f"{_pct(r['other_or_unsure_0.7'])} `other` or unsure at 0.7."
        )
    return out


def _default_model(s: dict) -> list[str]:
    f = s["figures"]
    m = f.get("metrics") or {}
    split = f.get("split") or {}
    note = [f"- training note: {f['trained_note']}"] if f.get("trained_note") else []
    return (
        note
        + [
            f"- file: `src/drumnet/models/default.safetensors`, {f['file_mb']} MB, model `{f['model']}` ({f['model_id']})",
            (
                f"- trained on {f['data']['n_sounds']} sounds ({', '.join(f['data']['libraries'])} + extra sources "
                f"{', '.join(f.get('extra_sources') or [])}) in **{f['train_seconds']} s** ({f['epochs']} epochs, {f.get('torch_threads') or '?'} torch thread(s))"
            ),
        ]
        + (
            [
                (
                    f"- measured before the final fit, on the split `{split.get('kind')}` holding out "
                    f"{', '.join(split.get('test_libraries', []))}: accuracy {_pct(m.get('accuracy'))}, macro-F1 {m.get('macro_f1', 0):.3f}"
                )
            ]
            if m
            else [
                (
                    f"- window {f.get('feature_config', {}).get('window_seconds', 1.0):g} s; trained on "
                    "every sound: its recipe's figures on sources never heard are the "
                    "cross-validation by source below"
                )
            ]
        )
        + [
            (
                f"- `{x['name']}` (seed {x['seed']}, {x['model_id']}): trained on everything in "
                f"{x['train_seconds']} s ({x['epochs']} epochs, {x['torch_threads']} torch "
                "thread(s))"
                if x.get("accuracy") is None
                else f"- `{x['name']}` (seed {x['seed']}, {x['model_id']}): final fit "
                f"{x['train_seconds']} s ({x['epochs']} epochs, {x['torch_threads']} torch "
                f"thread(s)); same split: accuracy {_pct(x['accuracy'])}, macro-F1 "
                f"{x['macro_f1'] or 0:.3f}"
            )
            for x in f.get("seed_models", [])
        ]
    )


def _classify(s: dict) -> list[str]:
    f = s["figures"]
    out = ["| figure | value |", "|---|---|"]
    for k, v in f.items():
        if isinstance(v, dict):
            for k2, v2 in v.items():
                out.append(f"| {k}.{k2} | {v2} |")
        else:
            out.append(f"| {k} | {v} |")
    return out


def _loops(s: dict) -> list[str]:
    f = s["figures"]
    out = [
        "| sounds | kind | files | answered `loop` | latest second hit of a one-shot |",
        "|---|---|---|---|---|",
    ]
    for r in f["rows"]:
        late = "" if r["max_span_one_shot"] is None else f"{r['max_span_one_shot']:.2f} s"
        out.append(
            f"| {r['set']} | {r['kind']} | {r['n']} | {r['answered_loop']} ({_pct(r['rate'])}) | {late} |"
        )
    answers = f["lmms_loops_model_answers"]
    said = ", ".join(f"{k} `{v}`" for k, v in sorted(answers.items()))
    cost = f["ms_per_file_hit_times"]
    out += [
        "",
        (
            f"`drumnet classify` answers `loop` for {f['lmms_loops_answered_loop']} of LMMS's "
            f"{len(answers)} loops. Without the rule (`--no-loops`) the shipped ensemble answers: "
            f"{said}."
        ),
        "",
        f"Cost: `hit_times` takes {cost:.2f} ms a file (3 s of audio at 11,025 Hz).",
    ]
    return out


def _robustness(s: dict) -> list[str]:
    f = s["figures"]
    out = [
        "| the files | accuracy | same answer as the file as it is | unsure | errors |",
        "|---|---|---|---|---|",
    ]
    for r in f["rows"]:
        out.append(
            f"| {r['change']} | {_pct(r['accuracy'])} | {_pct(r['same_answer'])} | "
            f"{r['unsure']} | {r['errors']} |"
        )
    return out


def _similar_kits(s: dict) -> list[str]:
    from drumnet.library.embed import DESCRIPTOR_WEIGHT  # the row `drumnet similar` embeds as

    f = s["figures"]
    seeds = f.get("seeds", [f.get("seed", 0)])
    out = [
        (
            f"{f['sounds']} sounds of {f['kits']} kits, {f['folds']} folds by kit, the shipped "
            f"recipe's seed{'s' if len(seeds) > 1 else ''} {', '.join(map(str, seeds))} "
            f"({f['epochs']} epochs) per fold. Chance: "
            f"{_pct(f['chance']['all'])} among all sounds of a fold, "
            f"{_pct(f['chance']['other_instruments'])} among other instruments."
        ),
        "",
        (
            "| embedding | precision@1, all | precision@5, all "
            "| precision@1, other instruments | precision@5, other instruments "
            "| nearest is the same drum |"
        ),
        "|---|---|---|---|---|---|",
    ]
    for r in f["rows"]:
        cells = [
            _pct(r[f"{among}_precision_at_{k}"])
            for among in ("all", "other_instruments")
            for k in (1, 5)
        ]
        cells.append(f"{_pct(r['same_drum_at_1'])} ({r['same_drum_queries']} sounds)")
        name = r["embedding"]
        if name.endswith(f"descriptors weighted {DESCRIPTOR_WEIGHT}"):
            name = f"**{name}** (`drumnet similar`)"
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    return out


def _similar(s: dict) -> list[str]:
    f, sp = s["figures"], s["figures"]["speed"]
    n, classes = f["per_class"], len(f["classes"])
    out = [
        (
            f"{n} sounds of each of the {classes} drum classes; every sound queries the other "
            f"{n * classes - 1} (chance: {100 * (n - 1) / (n * classes - 1):.1f} %)."
        ),
        "",
        "| embedding | dimensions | precision@1 | precision@5 |",
        "|---|---|---|---|",
    ]
    for r in f["rows"]:
        out.append(
            f"| {r['embedding']} | {r['dim']} | {_pct(r['precision_at_1'])} "
            f"| {_pct(r['precision_at_5'])} |"
        )
    speed = (
        (f"embedding {sp['files']} files from disk, cold index", "default_embed_files_per_s"),
        ("the same with the shipped ensemble", "ensemble_embed_files_per_s"),
    )
    out += ["", "| speed | value |", "|---|---|"]
    out += [f"| {what} | {sp[key]:.0f} files/s |" for what, key in speed]
    out += [
        f"| one search against them, index warm | {sp['query_ms_cached']:.0f} ms |",
        f"| ranking alone, embeddings in memory | {sp['rank_ms']:.2f} ms |",
    ]
    return out


def _dream(s: dict) -> list[str]:
    variants = s["figures"]["variants"]
    out = [
        (
            "| dreaming with | dreams | A (the dreaming models) hears the target "
            "| independent model B hears the target | B heard it before the dream | seconds per dream |"
        ),
        "|---|---|---|---|---|---|",
    ]
    for f in variants:
        out.append(
            f"| {f['variant']} | {f['n']} | {_pct(f['rate_a'])} | {_pct(f['rate_b'])} "
            f"| {_pct(f['rate_b_before'])} | {f['seconds_per_dream']:.1f} |"
        )
    last = variants[-1]
    out += [
        "",
        (
            f"Settings: {last['config']['steps']} steps, {last['config']['eot_samples']} random "
            f"variants per step. Per dream, {last['variant']}:"
        ),
        "",
        "| input (kit, class) | target | A before → after | B before → after |",
        "|---|---|---|---|",
    ]
    for r in last["rows"]:
        out.append(
            f"| {r['input']} | {r['target']} | {r['a_before']:.2f} → {r['a_after']:.2f} "
            f"| {r['b_before']:.2f} → {r['b_after']:.2f} |"
        )
    return out


def _startup(s: dict) -> list[str]:
    f = s["figures"]
    rows = [
        ("`drumnet --help`", "help_s"),
        ("`drumnet classify --help`", "classify_help_s"),
        ("a usage error (`drumnet classify` with no PATH)", "usage_error_s"),
        ("`drumnet classify one.wav` (the default net)", "classify_one_default_s"),
        ("`drumnet classify one.wav --model ensemble` (five nets)", "classify_one_ensemble_s"),
        ("a bare `python -c pass`, for scale", "python_start_s"),
    ]
    heavy = ", ".join(f["heavy_after_parser"]) or "none"
    return [
        f"| command | wall time (median of {f['repeats']}) |",
        "|---|---|",
        *[f"| {name} | {f[key]:.2f} s |" for name, key in rows],
        "",
        f"Heavy libraries loaded by building the whole parser: {heavy}.",
    ]


def _dream_busy(s: dict) -> list[str]:
    f = s["figures"]
    out = [
        (
            "| torch threads (count used) | one core kept busy | seconds per dream "
            "| busy / not busy | / drumnet's choice |"
        ),
        "|---|---|---|---|---|",
    ]
    for r in f["rows"]:
        used = ", ".join(str(n) for n in sorted(set(r["threads_used"])))
        out.append(
            f"| {r['threads']} ({used}) | {'yes' if r['busy_core'] else 'no'} "
            f"| {r['seconds']:.1f} | {r['ratio_to_not_busy']:.1f}x | {r['ratio_to_choice']:.1f}x |"
        )
    return out


SECTIONS = (
    (
        "data",
        "Data",
        _data,
        (
            "Samples per source and class (`python benchmarks/run.py --only data`). "
            "`effects` (the Hydrogen effects kit) only tests `other`: no shipped model "
            "trains on it."
        ),
    ),
    ("features", "Loading and featurising the default library", _features, ""),
    (
        "study",
        "The study's experiments",
        _study,
        "Accuracy on kits (or shuffled samples) held out of training. The study's figures came from a random split.",
    ),
    (
        "taxonomy",
        "Targets: the Hydrogen recipe on kits never heard (4 folds by kit)",
        _taxonomy,
        (
            "Every Hydrogen sound is tested once by a model that never heard its kit; the extra "
            "sources (LMMS, DrumSynth renders, synthesiser, speech) only ever train. The recipe "
            "trains its whole 20-epoch schedule without early stopping, so each fold's "
            "validation kits train too, as in the final fit of the shipped models. The two- "
            "and four-class figures restrict the same predictions to those classes. Targets: "
            "kick vs snare >= 99.5 %, four classes >= 98 %, 8-class macro-F1 >= 0.90; not met. "
            "Every change measured against them, kept or not, is in docs/generalisation.md."
        ),
    ),
    (
        "ablation",
        "Ablation: what helps on kits never heard",
        _ablation,
        (
            "Highway net, full taxonomy, 12 epochs (the recipe allows 20), 2 folds by kit, "
            "pooled. A cheaper protocol than the targets section, so compare rows with each "
            "other, not with it: with 2 folds a single kit moves a figure by several points."
        ),
    ),
    (
        "other",
        "Not a drum / unsure",
        _other,
        (
            "The default recipe, split by library, with one non-drum source kept out of "
            "training and tested with the held-out kits: all espeak-ng speech, the LMMS "
            "instruments, or the Hydrogen effects kit's 295 guitar strums "
            "(`belofilms_GuitarStrums`), which the default recipe never trains on."
        ),
    ),
    ("default_model", "The shipped default model", _default_model, ""),
    (
        "classify",
        "Classifying a library",
        _classify,
        (
            "`drumnet classify` on synthesised one-shots (44.1 kHz 16-bit WAV, 0.2-1.5 s), "
            "2 worker processes that decode and, one torch thread each, run the network; "
            "every process with glibc's heap thresholds raised as the drumnet command sets "
            "them (`drumnet.runtime.tune_malloc`: 620 -> 1,064 files/s for the ensemble); "
            "`classify` is the shipped model alone (the default), `ensemble` the shipped three (`--model ensemble`). "
            "`ensemble_threads2`: `--threads 2`, the network in the main process on both "
            "cores while the workers only decode. `large`: a fresh process on "
            "50,000 files with a cold index; main_mb / worker_mb are peak resident memory of "
            "the main process and of the largest worker."
        ),
    ),
    (
        "loops",
        "Loops",
        _loops,
        (
            "`drumnet classify` answers `loop` when a separate hit starts at least "
            "0.5 s after a file's first (`classify.LOOP_SPAN_SECONDS`; hits from "
            "`audio.hit_times`, on the first 3 s decoded). One-shots should never be answered "
            "`loop`, loops always. Synthesiser sounds use seeds no model trained on; the built "
            "beats mix one kit's kicks, snares and hats on eighth notes at 70-180 bpm, 1-4 s "
            "(`benchmarks/bench_loops.py`). The kits and LMMS's loops also chose the detector's "
            "settings, so the synthesiser rows are the unbiased ones."
        ),
    ),
    (
        "robustness",
        "Robustness",
        _robustness,
        (
            "`drumnet classify` (the shipped ensemble, as a user runs it) on the Hydrogen kits' "
            "716 sounds, each file changed the way files in producers' libraries differ from "
            "one another, against its answers on the files as they are "
            "(`benchmarks/bench_robustness.py`). The nets trained on these kits, so accuracy "
            "is higher than on libraries they never heard: read how far each change moves the "
            "answers. A DC offset is removed before resampling when the file settles at it "
            "(`audio.dc_offset`); the rows without that removal show what it is for. Leading "
            "silence moves a window by its 5 ms preroll, which a file that starts at its first "
            "sample cannot have, and that turns the few sounds the ensemble was unsure of. "
            "40 dB quieter, 24 soft cymbal and hi-hat layers peak below -70 dBFS in drumnet's "
            "band (up to 5.5 kHz) and are answered `unsure` (silent)."
        ),
    ),
    (
        "similar",
        "Search by sound",
        _similar,
        (
            "`drumnet similar`: cosine of the network's penultimate features joined with the "
            "classical descriptors (standardised with the training data's statistics; "
            "`drumnet.library.embed`). Quality: sounds "
            "from the procedural synthesiser drawn with a seed no shipped model trained on, "
            "each with a random library colour (the models did train on other sounds of this "
            "synthesiser, so read it as an upper bound for real libraries); precision@k is the share of a query's k "
            "nearest sounds that are of its own class, averaged over queries. The descriptors "
            "are the classical forest's 94 features. "
            "Speed: the shipped model (unless said) on synthesised one-shots as in "
            '"Classifying a library", 2 worker processes; a search includes checking every '
            "file against the index."
        ),
    ),
    (
        "similar_kits",
        "Search by sound on kits never heard",
        _similar_kits,
        (
            "`drumnet similar` as a user meets it: a library the model never heard. Each fold's "
            "Hydrogen kits (3-4 kits mixed) are embedded by nets of the shipped recipe trained "
            "without them: five seeds' ensemble, as shipped, and the first seed's net alone; "
            "each by its network part alone and joined with the descriptors at several weights "
            "(`drumnet similar` uses the row in bold). Every sound queries the other sounds "
            'of its fold. "All" counts '
            'every other sound; "other instruments" leaves out the other velocity layers of '
            "the query's own kit instrument, which are near copies of it. precision@k: the share "
            "of the k nearest that are of the query's class, pooled over the folds' queries. "
            '"Same drum": how often a sound\'s nearest match is another velocity layer of its '
            "own kit instrument, over the sounds that have one (`benchmarks/bench_similar.py`, "
            "`unheard_kits`)."
        ),
    ),
    (
        "dream",
        "Dreaming",
        _dream,
        (
            "30 sounds drawn at random from the Hydrogen kits, each dreamed toward a class other "
            "than the shipped model's answer (`drumnet dream`, 120 steps). A: the models that "
            "dreamed (their averaged answer). B: an MLP trained with another seed on the same "
            "data, never used for dreaming: the other architecture and another seed. A dream "
            "that fools only A is an adversarial example; B hearing the target is the test."
        ),
    ),
    (
        "startup",
        "Starting the command",
        _startup,
        (
            "A fresh process each time (`python -m drumnet`, `benchmarks/bench_startup.py`), "
            "with an empty cache: `--help`, a command's `--help` and usage errors import no "
            "torch, scikit-learn, scipy or matplotlib; a real command loads them in its handler."
        ),
    ),
    (
        "dream_busy",
        "Dreaming on a busy machine",
        _dream_busy,
        (
            "`drumnet dream` with another program keeping one core busy (a process that only "
            "spins), against the machine as it is, in the same run: the shipped dreaming "
            "ensemble moves a noise start toward snare (60 steps; one dream per setting). "
            "drumnet's choice (`runtime.solo_threads`) runs one torch thread per core nothing "
            "else is using; one per core is torch's default, which dream used before: its "
            "threads wait for the one on the busy core at every operation "
            "(`benchmarks/bench_dream.py`, `busy_core`)."
        ),
    ),
)


def render(results: dict) -> str:
    import render_new

    lines = [
        "# drumnet benchmarks",
        "",
        (
            "Produced by `make bench` (`python benchmarks/run.py`); raw figures in "
            "`benchmarks/results.json`. Re-measure one section with `--only NAME`."
        ),
        "",
        (
            "Since 2026-12-07 11:50 UTC the shipped nets are three nets of the default recipe, "
            "which trains on the Hydrogen kits and the GeneralUser GS, OPL3 and Sonivox kits. "
            "Sections dated before then that hear a shipped model heard the earlier nets: "
            "five nets of the Hydrogen-only recipe (`drumnet train --preset hydrogen`), which "
            "is where their 'shipped ensemble', 'default recipe' and 'five nets' come from."
        ),
        "",
    ]
    for key, title, fn, intro in SECTIONS + render_new.SECTIONS:
        if key not in results:
            continue
        s = results[key]
        lines += [f"## {title}", "", _machine(s), ""]
        if intro:
            lines += [intro, ""]
        lines += fn(s) + [""]
    return "\n".join(lines)
