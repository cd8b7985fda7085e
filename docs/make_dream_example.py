"""Rebuild the README's dreaming example: a synthesised tom dreamed toward snare.

    python docs/make_dream_example.py   # writes docs/dream-tom-to-snare.png (+ .wav in /tmp)

Prints the class probabilities before and after, under the dreaming ensemble and under each
of its members, which is what the README quotes.
"""

from __future__ import annotations

import numpy as np
import soxr

from drumnet.audio.prepare import fit_window
from drumnet.audio.write import save_audio
from drumnet.generate.dream import class_probs, dream, dream_ensemble
from drumnet.training.plots import plot_spectrograms
from drumnet.training.synth.skins import tom

OUT = "docs/dream-tom-to-snare.png"


def main() -> None:
    models = dream_ensemble()
    feats = models[0].feature_config
    raw = tom(np.random.default_rng(7), 44100, electronic=0.0)
    wave = fit_window(
        soxr.resample(raw, 44100, feats.sample_rate).astype(np.float32), feats.n_samples
    )
    wave = wave / np.abs(wave).max() * 0.9
    result = dream(models, wave, "snare")
    classes = result.classes
    for name, probs in (("before", result.probs_before), ("after", result.probs_after)):
        top = np.argsort(probs)[::-1][:3]
        print(f"ensemble {name}: " + ", ".join(f"{classes[i]} {probs[i]:.2f}" for i in top))
    for m in models:
        p = class_probs([m.model_], result.audio)
        print(f"  {m.model_id}: snare {p[classes.index('snare')]:.2f}")
    save_audio("/tmp/dream-tom-to-snare.wav", result.audio, result.sample_rate)
    panels = [("tom (before)", wave), (f"after ({result.label_after})", result.audio)]
    plot_spectrograms(panels, feats, OUT, title="toward snare")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
