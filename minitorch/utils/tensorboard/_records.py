"""The bytes of an event file: TFRecord framing, CRC-32C, and protobuf wire encoding by hand.

A TFRecord is ``uint64 length | uint32 masked_crc32c(length) | payload | uint32
masked_crc32c(payload)``, all little-endian. The payload is a serialized ``tensorboard.Event``.
The protobuf helpers below write the few wire types those messages need (varint, 64-bit,
32-bit, length-delimited); each message is built in field-number order, as protobuf writes it.
Proto3 leaves a field at its default value out of the bytes; a member of a ``oneof`` is written
whenever it is set, default or not, so the callers decide which fields to omit.
"""
from __future__ import annotations

import struct

import numpy as np

# ---- CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), one table lookup per byte.


def _crc32c_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_TABLE = _crc32c_table()


def crc32c(data: bytes) -> int:
    """CRC-32C of ``data`` (check value: crc32c(b"123456789") == 0xE3069283). O(len(data))."""
    crc = 0xFFFFFFFF
    table = _TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data: bytes) -> int:
    """The CRC as TFRecord stores it: rotated right by 15 bits plus a constant, so that a CRC
    of bytes that themselves hold CRCs does not degenerate."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def frame_record(payload: bytes) -> bytes:
    """One whole TFRecord for ``payload``."""
    header = struct.pack("<Q", len(payload))
    return b"".join((header, struct.pack("<I", masked_crc32c(header)), payload,
                     struct.pack("<I", masked_crc32c(payload))))


# ---- protobuf wire format


def varint(value: int) -> bytes:
    """Base-128 varint; a negative int64 is written as its 64-bit two's complement (10 bytes)."""
    value &= 0xFFFFFFFFFFFFFFFF
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def varint_field(field: int, value: int) -> bytes:
    return varint(field << 3) + varint(int(value))


def double_field(field: int, value: float) -> bytes:
    return varint(field << 3 | 1) + struct.pack("<d", float(value))


def float_field(field: int, value: float) -> bytes:
    return varint(field << 3 | 5) + _float32_bytes([value])


def bytes_field(field: int, data: bytes) -> bytes:
    return varint(field << 3 | 2) + varint(len(data)) + data


def string_field(field: int, text: str) -> bytes:
    return bytes_field(field, text.encode("utf-8"))


def packed_doubles(field: int, values) -> bytes:
    return bytes_field(field, np.asarray(values, dtype=np.float64).astype("<f8").tobytes())


def packed_floats(field: int, values) -> bytes:
    return bytes_field(field, _float32_bytes(values))


def _float32_bytes(values) -> bytes:
    # A double too large for float32 becomes inf, as protobuf's own (C) conversion does.
    with np.errstate(over="ignore"):
        return np.asarray(values, dtype=np.float64).astype("<f4").tobytes()


# Proto3 omits a scalar field at its default; these keep that rule in one place.

def opt_double(field: int, value: float) -> bytes:
    value = float(value)
    # -0.0 is not the default (its bits differ), and protobuf writes it.
    return double_field(field, value) if value != 0.0 or np.signbit(value) else b""


def opt_varint(field: int, value: int) -> bytes:
    return varint_field(field, value) if value else b""


def opt_string(field: int, text: str) -> bytes:
    return string_field(field, text) if text else b""


def opt_bytes(field: int, data: bytes) -> bytes:
    return bytes_field(field, data) if data else b""
