"""Voice clips for the display board's calls, rendered once with espeak-ng's Indonesian voice.

A call is spoken as a row of clips, one per word (see ``portal.domain.speech``), so the board
needs no speech engine and no internet at run time. ``python -m portal voices`` renders every
word a call can contain (phrases, letters, number words and the words of the counters' names)
and a chime into ``<data dir>/voices``, with ``manifest.json`` mapping each word to its file.
"""

import json
import math
import re
import shutil
import struct
import subprocess
import wave
from pathlib import Path

from portal.domain.speech import LETTERS, ONES

PHRASES = ["nomor antrean", "silakan menuju"]
NUMBER_WORDS = [*ONES, "sepuluh", "sebelas", "belas", "puluh", "seratus", "ratus", "seribu", "ribu"]
RATE = 22050
ESPEAK_TIMEOUT = 20  # seconds for one clip; espeak-ng takes milliseconds


class VoiceError(RuntimeError):
    """The clips could not be rendered; the message says why and what to install."""


def clip_name(word):
    """The file a word's clip is stored in: "nomor antrean" → "nomor-antrean.wav"."""
    return re.sub(r"[^a-z0-9]+", "-", word.lower()).strip("-") + ".wav"


def words_to_render(counter_words):
    """Every word a call can contain: phrases, letter names, number words, counters' words."""
    words = [*PHRASES, *LETTERS.values(), *NUMBER_WORDS, *counter_words]
    return list(dict.fromkeys(words))  # unique, in order


def render(out_dir, words, espeak="espeak-ng"):
    """Render each word with espeak-ng's Indonesian voice, plus a chime; returns the manifest."""
    program = shutil.which(espeak)
    if program is None:
        raise VoiceError(f"{espeak} is not installed (Debian: apt-get install espeak-ng)")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    manifest = {}
    for word in words:
        name = clip_name(word)
        command = [program, "-v", "id", "-s", "150", "-w", str(out / name), word]
        try:
            subprocess.run(command, check=True, capture_output=True, timeout=ESPEAK_TIMEOUT)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            raise VoiceError(f"espeak-ng could not say {word!r}: {exc}") from None
        manifest[word] = name
    write_chime(out / "chime.wav")
    manifest["_chime"] = "chime.wav"
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n")
    return manifest


def write_chime(path, notes=(784.0, 659.3), seconds=0.45):
    """A two-note "ding-dong" (G5, E5) with a soft decay, as 16-bit mono WAV."""
    frames = bytearray()
    for frequency in notes:
        count = int(RATE * seconds)
        for i in range(count):
            envelope = math.exp(-4.0 * i / count)
            sample = 0.5 * envelope * math.sin(2 * math.pi * frequency * i / RATE)
            frames += struct.pack("<h", int(sample * 32767))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(bytes(frames))
