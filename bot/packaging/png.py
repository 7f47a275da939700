"""Just enough PNG reading for the package checks, with the standard library only.

``read_header`` gives the size and pixel format; ``read_pixels`` decodes 8-bit images with an
alpha channel (RGBA or grey+alpha, not interlaced), which is what an outline icon must be.
Both raise ``ValueError`` with a readable reason for anything else; the checks turn that into
a ``PackageProblem``. (Pillow would do this, but it is only a development dependency.)
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

SIGNATURE = b"\x89PNG\r\n\x1a\n"

COLOR_TYPES = {0: "greyscale", 2: "RGB", 3: "palette", 4: "greyscale+alpha", 6: "RGBA"}
_CHANNELS_WITH_ALPHA = {4: 2, 6: 4}

Pixel = tuple[int, int, int, int]


@dataclass(frozen=True)
class PngHeader:
    width: int
    height: int
    bit_depth: int
    color_type: int
    interlaced: bool

    @property
    def has_alpha_channel(self) -> bool:
        return self.color_type in _CHANNELS_WITH_ALPHA

    @property
    def format_name(self) -> str:
        return f"{self.bit_depth}-bit {COLOR_TYPES.get(self.color_type, 'unknown')}"


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    if not data.startswith(SIGNATURE):
        raise ValueError("is not a PNG file")
    chunks: list[tuple[bytes, bytes]] = []
    offset = len(SIGNATURE)
    while offset + 8 <= len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        if len(body) != length:
            raise ValueError("is a truncated PNG file")
        chunks.append((kind, body))
        offset += 12 + length
        if kind == b"IEND":
            return chunks
    raise ValueError("is a truncated PNG file (no IEND)")


def read_header(data: bytes) -> PngHeader:
    chunks = _chunks(data)
    if not chunks or chunks[0][0] != b"IHDR" or len(chunks[0][1]) != 13:
        raise ValueError("is not a valid PNG file (no IHDR)")
    width, height, depth, color, _compression, _filter, interlace = struct.unpack(
        ">IIBBBBB", chunks[0][1]
    )
    return PngHeader(width, height, depth, color, interlace == 1)


def read_pixels(data: bytes) -> list[list[Pixel]]:
    """Rows of (r, g, b, alpha) for an 8-bit RGBA or grey+alpha PNG that is not interlaced."""
    header = read_header(data)
    channels = _CHANNELS_WITH_ALPHA.get(header.color_type)
    if channels is None or header.bit_depth != 8 or header.interlaced:
        raise ValueError(
            f"is a {header.format_name} PNG{' (interlaced)' if header.interlaced else ''}; "
            "expected 8-bit RGBA (or grey+alpha), not interlaced"
        )
    compressed = b"".join(body for kind, body in _chunks(data) if kind == b"IDAT")
    try:
        raw = zlib.decompress(compressed)
    except zlib.error as exc:
        raise ValueError(f"has corrupt image data ({exc})") from None
    stride = header.width * channels
    if len(raw) != header.height * (stride + 1):
        raise ValueError("has image data of the wrong length")
    rows: list[list[Pixel]] = []
    previous = bytearray(stride)
    for y in range(header.height):
        start = y * (stride + 1)
        line = _unfilter(
            raw[start], bytearray(raw[start + 1 : start + 1 + stride]), previous, channels
        )
        rows.append(_to_rgba(line, channels))
        previous = line
    return rows


def _unfilter(kind: int, line: bytearray, above: bytearray, bpp: int) -> bytearray:
    """Undo one PNG scanline filter (None, Sub, Up, Average, Paeth)."""
    if kind == 0:
        return line
    for i in range(len(line)):
        left = line[i - bpp] if i >= bpp else 0
        up = above[i]
        if kind == 1:
            line[i] = (line[i] + left) & 0xFF
        elif kind == 2:
            line[i] = (line[i] + up) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + (left + up) // 2) & 0xFF
        elif kind == 4:
            corner = above[i - bpp] if i >= bpp else 0
            line[i] = (line[i] + _paeth(left, up, corner)) & 0xFF
        else:
            raise ValueError(f"uses unknown scanline filter {kind}")
    return line


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _to_rgba(line: bytearray, channels: int) -> list[Pixel]:
    if channels == 4:
        return [(line[i], line[i + 1], line[i + 2], line[i + 3]) for i in range(0, len(line), 4)]
    return [(line[i], line[i], line[i], line[i + 1]) for i in range(0, len(line), 2)]
