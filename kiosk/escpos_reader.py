"""Reading ESC/POS bytes back into what the paper shows: lines of text with their size and
alignment, QR codes (native ones as data, image ones as pictures), and cuts.

Knows the commands Balai's receipts use (python-escpos's text, ``set``, raster images, native
QR, feed and cut) and the status queries; anything else is an error, so a receipt that changed
shape is noticed rather than misread.
"""

from dataclasses import dataclass, field

from PIL import Image

ESC, GS, DLE, LF = 0x1B, 0x1D, 0x10, 0x0A


@dataclass
class Line:
    """One printed line."""

    text: str
    align: int = 0  # 0 left, 1 centre, 2 right
    width: int = 1  # character width multiplier (GS !)
    height: int = 1
    bold: bool = False


@dataclass
class Paper:
    """What a stream of ESC/POS bytes prints."""

    blocks: list = field(default_factory=list)  # Lines and PIL images, top to bottom
    native_qr: list = field(default_factory=list)  # payloads of native QR codes
    cuts: int = 0
    status_queries: int = 0
    code_pages: list = field(default_factory=list)  # every ESC t n, in order

    @property
    def lines(self):
        """The printed lines of text."""
        return [block for block in self.blocks if isinstance(block, Line)]

    @property
    def images(self):
        """The raster graphics (image QR codes, logos) as PIL images."""
        return [block for block in self.blocks if not isinstance(block, Line)]

    @property
    def text(self):
        """All printed text, one line per line."""
        return "\n".join(line.text for line in self.lines)


class UnknownCommand(ValueError):
    """Bytes this reader does not know how to read."""


def read(data):
    """Decode ESC/POS ``data`` into a Paper."""
    paper = Paper()
    state = {"align": 0, "width": 1, "height": 1, "bold": False}
    text = bytearray()
    i = 0

    def flush():
        paper.blocks.append(Line(text.decode("cp437"), **state))
        text.clear()

    while i < len(data):
        byte = data[i]
        if byte == LF:
            flush()
            i += 1
        elif byte == ESC:
            command, arg = data[i + 1], data[i + 2] if i + 2 < len(data) else None
            if command == ord("@"):
                state.update(align=0, width=1, height=1, bold=False)
                i += 2
                continue
            if command == ord("E"):
                state["bold"] = bool(arg)
            elif command == ord("a"):
                state["align"] = arg % 48 if arg >= 48 else arg
            elif command == ord("!"):
                state.update(bold=bool(arg & 0x08), width=2 if arg & 0x20 else 1, height=2 if arg & 0x10 else 1)
            elif command == ord("t"):
                paper.code_pages.append(arg)
            elif command == ord("d"):
                pass  # feed n lines
            else:
                raise UnknownCommand(f"ESC {command:#04x} at byte {i}")
            i += 3
        elif byte == GS:
            command = data[i + 1]
            if command == ord("!"):
                arg = data[i + 2]
                state.update(width=(arg >> 4) + 1, height=(arg & 0x0F) + 1)
                i += 3
            elif command == ord("V"):
                paper.cuts += 1
                i += 3 if data[i + 2] in (0, 1, 48, 49) else 4
            elif command == ord("v") and data[i + 2] == ord("0"):
                i = raster(data, i, paper)
            elif command == ord("(") and data[i + 2] == ord("k"):
                i = symbol(data, i, paper)
            else:
                raise UnknownCommand(f"GS {command:#04x} at byte {i}")
        elif byte == DLE and data[i + 1] == 0x04:
            paper.status_queries += 1
            i += 3
        else:
            text.append(byte)
            i += 1
    if text:
        flush()
    return paper


def raster(data, i, paper):
    """GS v 0 m xL xH yL yH d1…dk: a bit image, one bit a dot (1 = black)."""
    width_bytes = data[i + 4] + 256 * data[i + 5]
    height = data[i + 6] + 256 * data[i + 7]
    start = i + 8
    bits = data[start : start + width_bytes * height]
    image = Image.frombytes("1", (width_bytes * 8, height), bytes(bits)).convert("L").point(lambda v: 255 - v)
    paper.blocks.append(image)
    return start + width_bytes * height


def symbol(data, i, paper):
    """GS ( k pL pH cn fn …: native 2D codes; keeps the payload of a stored QR code."""
    length = data[i + 3] + 256 * data[i + 4]
    body = data[i + 5 : i + 5 + length]
    if body[0] == 49 and body[1] == 80:  # cn=49 (QR), fn=80: store the data
        paper.native_qr.append(bytes(body[3:]).decode("latin-1"))
    return i + 5 + length
