"""SoundFont 2 fonts as training data: sf2.py reads a font, render.py renders one note,
gm.py maps General MIDI percussion keys to classes, plan.py picks the notes to render and
exclusions.py keeps out what the reserved list forbids. No synthesiser binary is needed."""
