"""Tiny PNG images for tests, written without Pillow."""

from __future__ import annotations

import struct
import zlib


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(
        ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(width: int, height: int, pixel) -> bytes:
    """A truecolour PNG; ``pixel(x, y) -> (r, g, b)``."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)
        for x in range(width):
            rows.extend(pixel(x, y))
    return (b"\x89PNG\r\n\x1a\n"
            + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + _chunk(b"IDAT", zlib.compress(bytes(rows), 6)) + _chunk(b"IEND", b""))


def solid(width: int = 8, height: int = 6, rgb=(200, 60, 60)) -> bytes:
    return png(width, height, lambda x, y: rgb)


def street_scene(width: int = 320, height: int = 220, seed: int = 0) -> bytes:
    """A street corner with a pile of rubbish bags: something a resident would photograph."""
    bags = [(0.30 + 0.07 * ((i * 7 + seed) % 5), 0.72 + 0.03 * ((i * 3 + seed) % 4),
             0.06 + 0.015 * (i % 3), ((40, 40, 46), (70, 110, 60), (150, 60, 50),
                                      (60, 60, 70))[(i + seed) % 4]) for i in range(7)]

    def pixel(x: int, y: int) -> tuple[int, int, int]:
        u, v = x / width, y / height
        for cx, cy, r, color in bags:
            if (u - cx) ** 2 + ((v - cy) * height / width) ** 2 < r * r:
                shade = 1.0 - 0.5 * ((u - cx) + (v - cy)) / r * 0.5
                return tuple(max(0, min(255, int(c * shade))) for c in color)
        if v < 0.45:  # sky and a building
            if 0.55 < u < 0.95 and v > 0.12:
                window = int(u * 40) % 4 == 1 and int(v * 30) % 3 == 1
                return (250, 230, 150) if window else (205, 170, 140)
            return (int(150 + 80 * v), int(190 + 60 * v), 235)
        if v < 0.6:  # pavement
            return (185, 182, 175) if int(u * 24) % 2 else (175, 172, 165)
        return (110, 112, 118) if int(v * 40) % 7 else (230, 230, 230)  # road with markings

    return png(width, height, pixel)
