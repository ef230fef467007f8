"""Voice clips for the spoken calls: rendered offline with espeak-ng, one per word."""

import json
import os
import shutil
import subprocess
import sys
import wave
from pathlib import Path

import pytest

from portal import voices
from portal.domain.speech import call_words
from tests.conftest import need

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """Every clip the demo village's calls need, rendered once."""
    need(shutil.which("espeak-ng"), "espeak-ng is not installed (tests/setup-system.sh installs it as root)")
    out = tmp_path_factory.mktemp("voices")
    words = voices.words_to_render(["loket", "satu", "dua", "tiga"])
    return out, voices.render(out, words)


def duration(path):
    with wave.open(str(path)) as clip:
        return clip.getnframes() / clip.getframerate()


def test_every_call_can_be_spoken_from_clips(clips):
    """Any ticket A-001 … E-999 called to any demo counter is a row of existing, audible clips."""
    out, manifest = clips
    for prefix in "ABCDE":
        for n in range(1, 1000):
            for counter in ("Loket 1", "Loket 2", "Loket 3"):
                for word in call_words(f"{prefix}-{n:03d}", counter):
                    assert word in manifest, word
    for word, name in manifest.items():
        assert 0.1 < duration(out / name) < 5, word


def test_chime_and_manifest(clips):
    out, manifest = clips
    assert manifest["_chime"] == "chime.wav" and 0.5 < duration(out / "chime.wav") < 2
    assert json.loads((out / "manifest.json").read_text()) == manifest


def test_missing_espeak_is_a_clear_error(tmp_path):
    with pytest.raises(voices.VoiceError) as exc:
        voices.render(tmp_path, ["satu"], espeak="no-such-espeak")
    assert "apt-get install espeak-ng" in str(exc.value)


def test_cli_renders_and_the_board_serves_them(data_dir, client):
    need(shutil.which("espeak-ng"), "espeak-ng is not installed (tests/setup-system.sh installs it as root)")
    env = {**os.environ, "BALAI_DATA_DIR": str(data_dir)}
    result = subprocess.run(
        [sys.executable, "-m", "portal", "voices"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    manifest = json.loads((data_dir / "voices" / "manifest.json").read_text())
    assert {"loket", "satu", "tiga", "nomor antrean"} <= set(manifest)
    with client.get("/voices/" + manifest["nomor antrean"]) as clip:
        assert clip.status_code == 200 and clip.mimetype in ("audio/wav", "audio/x-wav")
        assert clip.data[:4] == b"RIFF"
    assert client.get("/voices/nope.wav").status_code == 404
    assert client.get("/voices/..%2Fbalai.db").status_code == 404
