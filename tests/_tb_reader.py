"""An event-file reader for the TensorBoard tests, independent of minitorch's writer and of the
tensorboard package: TFRecord framing with a bit-by-bit CRC-32C check, a generic protobuf wire
decoder, a PNG decoder on zlib (all five scanline filters), and the few Event/Summary fields
the tests read, by field number (tensorboard's event.proto and summary.proto)."""
from __future__ import annotations

import glob
import os
import struct
import zlib

import numpy as np


def crc32c_bitwise(data: bytes) -> int:
    """CRC-32C one bit at a time (no table): the definition, slow and obviously right."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 * (crc & 1))
    return crc ^ 0xFFFFFFFF


def masked(crc: int) -> int:
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def read_records(path: str) -> list[bytes]:
    """The payloads of a TFRecord file, each length and payload checked against its CRC."""
    data = open(path, "rb").read()
    records, pos = [], 0
    while pos < len(data):
        header = data[pos:pos + 8]
        (length,) = struct.unpack("<Q", header)
        (length_crc,) = struct.unpack("<I", data[pos + 8:pos + 12])
        assert length_crc == masked(crc32c_bitwise(header)), "length CRC mismatch"
        payload = data[pos + 12:pos + 12 + length]
        (payload_crc,) = struct.unpack("<I", data[pos + 12 + length:pos + 16 + length])
        assert len(payload) == length and payload_crc == masked(crc32c_bitwise(payload)), "payload CRC mismatch"
        records.append(payload)
        pos += 16 + length
    return records


def decode(data: bytes) -> list[tuple[int, int, object]]:
    """(field, wire type, value) for every field of a protobuf message, in the order written:
    an int for varints, raw bytes for 64-bit, 32-bit and length-delimited fields."""
    out, pos = [], 0

    def varint():
        nonlocal pos
        value, shift = 0, 0
        while True:
            byte = data[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return value

    while pos < len(data):
        key = varint()
        field, wire = key >> 3, key & 7
        if wire == 0:
            value = varint()
        elif wire == 1:
            value, pos = data[pos:pos + 8], pos + 8
        elif wire == 5:
            value, pos = data[pos:pos + 4], pos + 4
        elif wire == 2:
            length = varint()
            value, pos = data[pos:pos + length], pos + length
        else:
            raise AssertionError(f"unexpected wire type {wire}")
        out.append((field, wire, value))
    return out


def fields(data: bytes, number: int) -> list:
    return [value for field, _, value in decode(data) if field == number]


def field(data: bytes, number: int, default=None):
    found = fields(data, number)
    assert len(found) <= 1, f"field {number} appears {len(found)} times"
    return found[0] if found else default


def double(raw: bytes) -> float:
    return struct.unpack("<d", raw)[0]


def int64(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


class Event:
    """The fields of one tensorboard.Event the tests look at."""

    def __init__(self, payload: bytes) -> None:
        self.raw = payload
        self.wall_time = double(field(payload, 1, b"\0" * 8))
        self.step = int64(field(payload, 2, 0))
        version = field(payload, 3)
        self.file_version = None if version is None else version.decode()
        summary = field(payload, 5)
        self.values = [] if summary is None else [Value(v) for v in fields(summary, 1)]
        log = field(payload, 7)
        self.session_status = None if log is None else field(log, 1, 0)
        source = field(payload, 10)
        self.writer = None if source is None else field(source, 1, b"").decode()


class Value:
    """One Summary.Value: its tag, which value it holds, and that value's raw message."""

    def __init__(self, raw: bytes) -> None:
        self.tag = field(raw, 1, b"").decode()
        simple = field(raw, 2)
        self.simple_value = None if simple is None else struct.unpack("<f", simple)[0]
        self.image, self.histo, self.audio, self.tensor = (field(raw, k) for k in (4, 5, 6, 8))
        metadata = field(raw, 9)
        plugin = None if metadata is None else field(metadata, 1, b"")
        self.plugin_name = None if plugin is None else field(plugin, 1, b"").decode()
        self.plugin_content = None if plugin is None else field(plugin, 2, b"")


def histogram(raw: bytes) -> dict:
    """HistogramProto as a dict: min, max, num, sum, sum_squares, bucket_limit, bucket."""
    out = {name: double(field(raw, k, b"\0" * 8))
           for k, name in enumerate(["min", "max", "num", "sum", "sum_squares"], start=1)}
    for k, name in ((6, "bucket_limit"), (7, "bucket")):
        packed = field(raw, k, b"")
        out[name] = np.frombuffer(packed, "<f8").tolist()
    return out


def event_files(log_dir: str) -> list[str]:
    return sorted(glob.glob(os.path.join(log_dir, "events.out.tfevents.*")))


def read_events(log_dir: str) -> list[Event]:
    """Every event of every event file directly in ``log_dir``, file by file in name order."""
    return [Event(payload) for path in event_files(log_dir) for payload in read_records(path)]


def summary_values(log_dir: str) -> list[tuple[int, Value]]:
    return [(event.step, value) for event in read_events(log_dir) for value in event.values]


def decode_png(data: bytes) -> np.ndarray:
    """Pixels (H, W, C) of an 8-bit non-interlaced PNG: chunks' CRC-32 checked, IDAT inflated
    with zlib, each scanline's filter (None, Sub, Up, Average, Paeth) undone."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert crc == zlib.crc32(kind + body), f"{kind} chunk CRC mismatch"
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and interlace == 0
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
    raw = zlib.decompress(idat)
    stride = width * channels
    rows = np.zeros((height, stride), dtype=np.int32)
    previous = np.zeros(stride, dtype=np.int32)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = np.frombuffer(raw, np.uint8, stride, y * (stride + 1) + 1).astype(np.int32)
        out = np.zeros(stride, dtype=np.int32)
        for x in range(stride):
            left = out[x - channels] if x >= channels else 0
            up = previous[x]
            up_left = previous[x - channels] if x >= channels else 0
            if kind == 0:
                predictor = 0
            elif kind == 1:
                predictor = left
            elif kind == 2:
                predictor = up
            elif kind == 3:
                predictor = (left + up) // 2
            else:
                p = left + up - up_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                predictor = left if pa <= pb and pa <= pc else (up if pb <= pc else up_left)
            out[x] = (line[x] + predictor) & 0xFF
        rows[y] = previous = out
    return rows.astype(np.uint8).reshape(height, width, channels)
