"""How a queue call is spoken in Indonesian: "Nomor antrean A dua belas, silakan menuju loket satu".

Numbers are read by value, not by their zero padding (A-012 is "A dua belas"), with the "se-"
forms (sepuluh, sebelas, seratus, seribu). A call is a list of words, each of which has a voice
clip, so the display board can speak offline; ``call_text`` is the same call as one sentence.
"""

import re

ONES = ["nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan"]
# How letters are named in Indonesian (the prefix of a ticket number).
LETTERS = {
    "A": "a", "B": "be", "C": "ce", "D": "de", "E": "e", "F": "ef", "G": "ge", "H": "ha", "I": "i",
    "J": "je", "K": "ka", "L": "el", "M": "em", "N": "en", "O": "o", "P": "pe", "Q": "ki", "R": "er",
    "S": "es", "T": "te", "U": "u", "V": "fe", "W": "we", "X": "eks", "Y": "ye", "Z": "zet",
}  # fmt: skip
LARGEST = 9999


def number_words(n):
    """The Indonesian words for ``n`` (0 to 9999), e.g. 12 → ["dua", "belas"], 100 → ["seratus"]."""
    if not 0 <= n <= LARGEST:
        raise ValueError(f"only 0 to {LARGEST} are read aloud, not {n}")
    if n == 0:
        return ["nol"]
    words = []
    for size, name in ((1000, "ribu"), (100, "ratus")):
        count, n = divmod(n, size)
        if count:
            words += ["se" + name] if count == 1 else [*number_words(count), name]
    if n >= 20:
        tens, n = divmod(n, 10)
        words += [ONES[tens], "puluh"]
    elif n >= 10:
        words += {10: ["sepuluh"], 11: ["sebelas"]}.get(n) or [ONES[n - 10], "belas"]
        n = 0
    if n:
        words.append(ONES[n])
    return words


def ticket_words(number):
    """The words of a ticket number such as ``A-012``: its letters, then its value."""
    match = re.fullmatch(r"([A-Za-z]*)-?0*(\d+)", number.strip())
    if match is None:
        raise ValueError(f"not a ticket number: {number!r}")
    letters, digits = match.groups()
    return [LETTERS[letter] for letter in letters.upper()] + number_words(int(digits))


def counter_words(name):
    """The words of a counter's name: "Loket 1" → ["loket", "satu"]; numbers are read as words."""
    words = []
    for part in name.lower().split():
        words += number_words(int(part)) if part.isdigit() and int(part) <= LARGEST else [part]
    return words


def call_words(number, counter):
    """The call as a list of words, each a voice clip: phrases, letters and number words."""
    return ["nomor antrean", *ticket_words(number), "silakan menuju", *counter_words(counter)]


def call_text(number, counter):
    """The call as one sentence, for the browser's own speech when clips are missing."""
    return f"Nomor antrean {' '.join(ticket_words(number))}, silakan menuju {' '.join(counter_words(counter))}"
