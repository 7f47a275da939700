"""The standard-library PNG reader against Pillow, on images that use every scanline filter."""

from __future__ import annotations

import io
import random
import struct
import zlib

import pytest
from PIL import Image

from bot.packaging import png
from tests.packaging.conftest import ROOT


def _chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def encode(rows: list[bytes], width: int, color_type: int, bpp: int) -> bytes:
    """A PNG whose row y uses filter y % 5, so the reader meets all five."""
    raw = bytearray()
    previous = bytes(len(rows[0]))
    for y, row in enumerate(rows):
        kind = y % 5
        out = bytearray()
        for i, value in enumerate(row):
            left = row[i - bpp] if i >= bpp else 0
            up = previous[i]
            corner = previous[i - bpp] if i >= bpp else 0
            predictor = [0, left, up, (left + up) // 2, _paeth(left, up, corner)][kind]
            out.append((value - predictor) & 0xFF)
        raw += bytes([kind]) + out
        previous = row
    header = struct.pack(">IIBBBBB", width, len(rows), 8, color_type, 0, 0, 0)
    return (
        png.SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(bytes(raw)))
        + _chunk(b"IEND", b"")
    )


def pillow_rgba(data: bytes) -> list[tuple[int, int, int, int]]:
    image = Image.open(io.BytesIO(data)).convert("RGBA")
    flat = image.tobytes()
    return [(flat[i], flat[i + 1], flat[i + 2], flat[i + 3]) for i in range(0, len(flat), 4)]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rgba_pixels_match_pillow_for_every_filter(seed: int) -> None:
    rng = random.Random(seed)
    width, height = 7, 11
    rows = [bytes(rng.randrange(256) for _ in range(width * 4)) for _ in range(height)]
    data = encode(rows, width, color_type=6, bpp=4)
    decoded = [pixel for row in png.read_pixels(data) for pixel in row]
    assert decoded == pillow_rgba(data)


def test_grey_alpha_pixels_match_pillow() -> None:
    rng = random.Random(7)
    rows = [bytes(rng.randrange(256) for _ in range(5 * 2)) for _ in range(6)]
    data = encode(rows, 5, color_type=4, bpp=2)
    decoded = [pixel for row in png.read_pixels(data) for pixel in row]
    assert decoded == pillow_rgba(data)


def test_the_committed_outline_icon_decodes_like_pillow_decodes_it() -> None:
    data = (ROOT / "appPackage" / "outline.png").read_bytes()
    decoded = [pixel for row in png.read_pixels(data) for pixel in row]
    assert decoded == pillow_rgba(data)


def test_the_header_gives_size_and_format() -> None:
    header = png.read_header((ROOT / "appPackage" / "color.png").read_bytes())
    assert (header.width, header.height) == (192, 192)
    assert not header.interlaced


def test_an_rgb_image_has_no_pixels_for_the_outline_check() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, format="PNG")
    with pytest.raises(ValueError, match="8-bit RGB PNG; expected 8-bit RGBA"):
        png.read_pixels(buffer.getvalue())


def test_a_truncated_file_is_reported() -> None:
    data = (ROOT / "appPackage" / "outline.png").read_bytes()
    with pytest.raises(ValueError, match="truncated"):
        png.read_header(data[:40])
