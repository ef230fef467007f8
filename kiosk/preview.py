"""A picture of a receipt, from the ESC/POS bytes read back (``preview://`` printers)."""

from PIL import Image, ImageDraw, ImageFont

from kiosk.escpos_reader import Line
from kiosk.receipt import DOTS

LINE = 24  # dots per line of normal text


def render(paper, width):
    """Draw a ``kiosk.escpos_reader.Paper`` on white paper ``width`` mm wide."""
    dots = DOTS[width]
    height = sum(LINE * b.height if isinstance(b, Line) else b.height for b in paper.blocks) + 2 * LINE
    picture = Image.new("L", (dots, height), 255)
    draw = ImageDraw.Draw(picture)
    y = LINE // 2
    for block in paper.blocks:
        if not isinstance(block, Line):
            picture.paste(block, ((dots - block.width) // 2, y))
            y += block.height
            continue
        font = ImageFont.load_default(size=18 * block.height)
        text_width = draw.textlength(block.text, font=font)
        x = {0: 0, 1: (dots - text_width) / 2, 2: dots - text_width}[block.align]
        draw.text((max(x, 0), y), block.text, fill=0, font=font)
        y += LINE * block.height
    return picture
