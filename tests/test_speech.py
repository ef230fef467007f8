"""Indonesian number reading for the spoken calls, checked for every number 0 to 9999."""

import pytest

from portal.domain.speech import LARGEST, call_text, call_words, counter_words, number_words, ticket_words

DIGITS = {
    w: i for i, w in enumerate(["nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan"])
}


def value_of(words):
    """An independent reader: the number some Indonesian number words say."""
    total, current = 0, 0
    for word in words:
        if word in DIGITS:
            current += DIGITS[word]
        elif word == "sepuluh":
            current += 10
        elif word == "sebelas":
            current += 11
        elif word == "belas":
            current += 10
        elif word == "puluh":
            current *= 10
        elif word in ("ratus", "ribu"):
            total += current * (100 if word == "ratus" else 1000)
            current = 0
        elif word in ("seratus", "seribu"):
            total += 100 if word == "seratus" else 1000
        else:
            raise AssertionError(f"unexpected word {word!r}")
    return total + current


def test_every_number_reads_back_and_follows_the_rules():
    """All of 0 to 9999: the words say the number, "se-" replaces satu, nol only for zero."""
    for n in range(LARGEST + 1):
        words = number_words(n)
        assert value_of(words) == n, (n, words)
        text = " ".join(words)
        for unit in ("puluh", "belas", "ratus", "ribu"):
            assert f"satu {unit}" not in text, (n, text)
        assert ("nol" in words) == (n == 0), (n, words)


@pytest.mark.parametrize(
    "n,spoken",
    [
        (0, "nol"),
        (7, "tujuh"),
        (10, "sepuluh"),
        (11, "sebelas"),
        (12, "dua belas"),
        (19, "sembilan belas"),
        (20, "dua puluh"),
        (21, "dua puluh satu"),
        (99, "sembilan puluh sembilan"),
        (100, "seratus"),
        (101, "seratus satu"),
        (110, "seratus sepuluh"),
        (111, "seratus sebelas"),
        (200, "dua ratus"),
        (345, "tiga ratus empat puluh lima"),
        (1000, "seribu"),
        (1001, "seribu satu"),
        (1100, "seribu seratus"),
        (1999, "seribu sembilan ratus sembilan puluh sembilan"),
        (2000, "dua ribu"),
        (2011, "dua ribu sebelas"),
        (9999, "sembilan ribu sembilan ratus sembilan puluh sembilan"),
    ],
)
def test_known_readings(n, spoken):
    assert " ".join(number_words(n)) == spoken


def test_out_of_range_is_refused():
    for n in (-1, LARGEST + 1):
        with pytest.raises(ValueError):
            number_words(n)


def test_ticket_numbers_are_read_by_value_not_padding():
    assert ticket_words("A-012") == ["a", "dua", "belas"]
    assert ticket_words("B-100") == ["be", "seratus"]
    assert ticket_words("E-001") == ["e", "satu"]
    with pytest.raises(ValueError):
        ticket_words("A-")


def test_the_call():
    assert call_text("A-012", "Loket 1") == "Nomor antrean a dua belas, silakan menuju loket satu"
    assert call_words("C-020", "Loket 3") == ["nomor antrean", "ce", "dua", "puluh", "silakan menuju", "loket", "tiga"]
    assert counter_words("Meja Pengaduan") == ["meja", "pengaduan"]
