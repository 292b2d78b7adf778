"""QR codes as inline SVG: the drawing decodes back to the payload (zxing-cpp reads the modules
the SVG draws), the same payload always gives the same drawing, and it carries its label."""
from __future__ import annotations

import re

import pytest
import zxingcpp

from anju.core import qr, signing
from anju.core.errors import ValidationError

PAYLOAD = signing.canonical({"permit_number": "330522-2026-000123", "valid_until": "2027-12-31",
                             "name": "张*", "sig": "x" * 86}).decode()


def _modules(svg: str) -> list[list[bool]]:
    """The dark modules the SVG draws. segno draws each row's runs as a horizontal stroke
    through the middle of the row: `M x y.5 h n m dx dy h n …` in module units."""
    size = int(re.search(r'width="(\d+)"', svg)[1]) // int(re.search(r"scale\((\d+)\)", svg)[1])
    grid = [[False] * size for _ in range(size)]
    path = re.findall(r'<path stroke="#000" d="([^"]+)"', svg)[0]
    x = y = 0.0
    for command, numbers in re.findall(r"([MmHhVv])([-\d. ]+)", path):
        values = [float(v) for v in numbers.split()]
        if command == "M":
            x, y = values
        elif command == "m":
            x, y = x + values[0], y + values[1]
        elif command == "h":
            for column in range(int(x), int(x + values[0])):
                grid[int(y)][column] = True
            x += values[0]
        else:
            raise AssertionError(f"unexpected path command {command}")
    return grid


def _decode(svg: str, pixel: int = 4) -> str:
    grid = _modules(svg)
    size = len(grid) * pixel
    image = bytearray(255 for _ in range(size * size))
    for row, cells in enumerate(grid):
        for column, dark in enumerate(cells):
            if dark:
                for dy in range(pixel):
                    start = (row * pixel + dy) * size + column * pixel
                    image[start:start + pixel] = bytes(pixel)
    found = zxingcpp.read_barcodes(memoryview(bytes(image)).cast("B", (size, size)),
                                   formats=zxingcpp.BarcodeFormat.QRCode)
    assert len(found) == 1
    return found[0].text


def test_the_svg_decodes_to_the_payload():
    drawing = qr.svg(PAYLOAD, label="电子居住证")
    assert _decode(drawing) == PAYLOAD
    assert _decode(qr.svg("安居 https://example.invalid/v?p=1", label="x")) == \
        "安居 https://example.invalid/v?p=1"


def test_the_same_payload_gives_the_same_drawing():
    first = qr.svg(PAYLOAD, label="电子居住证")
    assert qr.svg(PAYLOAD, label="电子居住证") == first
    assert qr.svg(PAYLOAD + "!", label="电子居住证") != first


def test_the_drawing_is_an_accessible_inline_svg_with_a_quiet_zone():
    drawing = qr.svg(PAYLOAD, label='permit "A" <1>', scale=3, border=4)
    assert drawing.startswith('<svg role="img" aria-label="permit &quot;A&quot; &lt;1&gt;" ')
    assert "<script" not in drawing and "style=" not in drawing  # the pages' CSP holds
    grid = _modules(drawing)
    assert not any(grid[0]) and not any(row[0] for row in grid)  # quiet zone
    # the finder pattern: a 7×7 dark square ring at the top left, inside the border
    assert all(grid[4][4:11]) and all(grid[10][4:11])
    assert all(grid[r][4] for r in range(4, 11)) and not grid[5][5]


@pytest.mark.parametrize("payload", ["", "x" * (qr.MAX_PAYLOAD + 1)])
def test_an_empty_or_oversized_payload_is_refused(payload):
    with pytest.raises(ValidationError):
        qr.svg(payload, label="x")
