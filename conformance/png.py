"""Just enough PNG to build test images and read them back, with the stdlib only.

The vision probes send a solid-colour PNG and expect its colour to be named; the
reference provider decodes what it receives to answer. Only what those two sides
need is supported: 8-bit RGB/RGBA, non-interlaced.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

_COLOUR_TYPE_RGB = 2
_COLOUR_TYPE_RGBA = 6
_BYTES_PER_PIXEL = {_COLOUR_TYPE_RGB: 3, _COLOUR_TYPE_RGBA: 4}

# Reference points for colour_name. Green sits between CSS "green" (0,128,0) and
# pure #00FF00 so that both of them, the likeliest test colours, are called green.
_NAMED_COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (255, 0, 0),
    "green": (0, 192, 0),
    "blue": (0, 0, 255),
    "yellow": (255, 255, 0),
    "cyan": (0, 255, 255),
    "magenta": (255, 0, 255),
    "white": (255, 255, 255),
    "black": (0, 0, 0),
    "orange": (255, 165, 0),
    "purple": (128, 0, 128),
    "grey": (128, 128, 128),
}

RGB = tuple[int, int, int]


def solid_png(rgb: RGB, size: int = 8) -> bytes:
    """A ``size`` x ``size`` PNG filled with one colour (8-bit RGB, filter 0)."""
    if size < 1:
        raise ValueError(f"size must be at least 1, got {size}")
    if len(rgb) != 3 or any(not 0 <= c <= 255 for c in rgb):
        raise ValueError(f"rgb must be three values in 0..255, got {rgb!r}")
    header = struct.pack(">IIBBBBB", size, size, 8, _COLOUR_TYPE_RGB, 0, 0, 0)
    row = b"\x00" + bytes(rgb) * size
    return (
        PNG_SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(row * size))
        + _chunk(b"IEND", b"")
    )


def decode_png(data: bytes) -> list[list[RGB]]:
    """Pixel rows of an 8-bit RGB or RGBA PNG (alpha dropped).

    Raises ValueError, naming the problem, for anything corrupt or unsupported.
    """
    if not data.startswith(PNG_SIGNATURE):
        raise ValueError("not a PNG: bad signature")
    chunks = list(_read_chunks(data))
    if not chunks or chunks[0][0] != b"IHDR":
        raise ValueError("corrupt PNG: first chunk is not IHDR")
    width, height, colour_type = _parse_header(chunks[0][1])
    if not any(kind == b"IEND" for kind, _ in chunks):
        raise ValueError("corrupt PNG: missing IEND chunk")
    compressed = b"".join(body for kind, body in chunks if kind == b"IDAT")
    if not compressed:
        raise ValueError("corrupt PNG: no IDAT chunk")
    try:
        raw = zlib.decompress(compressed)
    except zlib.error as exc:
        raise ValueError(f"corrupt PNG: image data does not decompress ({exc})") from exc
    bpp = _BYTES_PER_PIXEL[colour_type]
    stride = width * bpp
    if len(raw) != height * (stride + 1):
        raise ValueError(f"corrupt PNG: {len(raw)} bytes of image data, expected {height * (stride + 1)}")
    rows: list[list[RGB]] = []
    previous = bytes(stride)
    for y in range(height):
        start = y * (stride + 1)
        current = _unfilter(raw[start], raw[start + 1 : start + 1 + stride], previous, bpp)
        rows.append([(current[x], current[x + 1], current[x + 2]) for x in range(0, stride, bpp)])
        previous = current
    return rows


def colour_name(rgb: RGB) -> str:
    """The nearest (Euclidean distance in RGB) of a fixed set of basic colour names."""
    return min(_NAMED_COLOURS, key=lambda name: _distance2(_NAMED_COLOURS[name], rgb))


def _distance2(a: RGB, b: RGB) -> int:
    return sum((x - y) ** 2 for x, y in zip(a, b, strict=True))


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _read_chunks(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    pos = len(PNG_SIGNATURE)
    while pos < len(data):
        if pos + 8 > len(data):
            raise ValueError("corrupt PNG: truncated chunk header")
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        end = pos + 8 + length
        if end + 4 > len(data):
            raise ValueError(f"corrupt PNG: truncated {kind!r} chunk")
        body = data[pos + 8 : end]
        (crc,) = struct.unpack(">I", data[end : end + 4])
        if crc != zlib.crc32(kind + body):
            raise ValueError(f"corrupt PNG: CRC mismatch in {kind!r} chunk")
        yield kind, body
        if kind == b"IEND":
            return
        pos = end + 4


def _parse_header(body: bytes) -> tuple[int, int, int]:
    if len(body) != 13:
        raise ValueError("corrupt PNG: IHDR must be 13 bytes")
    width, height, depth, colour_type, compression, filter_method, interlace = struct.unpack(">IIBBBBB", body)
    if width == 0 or height == 0:
        raise ValueError("corrupt PNG: zero width or height")
    if depth != 8:
        raise ValueError(f"unsupported PNG: bit depth {depth} (only 8 is supported)")
    if colour_type not in _BYTES_PER_PIXEL:
        raise ValueError(f"unsupported PNG: colour type {colour_type} (only 2 RGB and 6 RGBA are supported)")
    if compression != 0 or filter_method != 0:
        raise ValueError("corrupt PNG: unknown compression or filter method")
    if interlace != 0:
        raise ValueError("unsupported PNG: interlaced images are not supported")
    return width, height, colour_type


def _unfilter(filter_type: int, line: bytes, previous: bytes, bpp: int) -> bytes:
    """Undo one scanline's filter (PNG spec section 9) given the already-decoded line above."""
    if filter_type not in range(5):
        raise ValueError(f"corrupt PNG: unknown filter type {filter_type}")
    out = bytearray(line)
    if filter_type == 0:
        return bytes(out)
    for i in range(len(out)):
        left = out[i - bpp] if i >= bpp else 0
        up = previous[i]
        if filter_type == 1:
            predictor = left
        elif filter_type == 2:
            predictor = up
        elif filter_type == 3:
            predictor = (left + up) // 2
        else:
            predictor = _paeth(left, up, previous[i - bpp] if i >= bpp else 0)
        out[i] = (out[i] + predictor) & 0xFF
    return bytes(out)


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c
