#!/bin/sh
# `make demo`: mixes the committed fixtures into out/ with every built-in profile,
# French captions burned in (and as a subtitle track in the recording), a late
# joiner and the speaker timeline.
set -e
BIN=${1:-build/tessera}
F=fixtures
mkdir -p out
"$BIN" mix \
    --layout grid \
    --captions $F/captions_fr.vtt \
    --timeline out/timeline.json \
    --profile hd=out/hd.mkv \
    --profile low=out/low.mkv \
    --profile legacy=out/legacy.mkv \
    --profile phone=out/phone.wav \
    --profile record=out/record.mp4 \
    --profile broadcast=out/broadcast/index.m3u8 \
    name=Rouge:$F/red.mp4 \
    name=Vert:$F/green.mp4 \
    name=Mobile:$F/portrait.mp4 \
    "name=Salle CIF:$F/blue_cif.mp4" \
    "name=Téléphone:$F/audio_only.ogg" \
    "name=Élodie Martin,at=1:$F/voice_fr.mp4"
echo "demo: outputs are in out/ (try: ffplay out/record.mp4)"
