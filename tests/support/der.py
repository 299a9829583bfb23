"""Just enough DER to edit a certificate's fields by hand (for the certificates no builder will make)."""

from __future__ import annotations

import base64

SEQUENCE, INTEGER, BIT_STRING, OBJECT_IDENTIFIER, EXPLICIT_3 = 0x30, 0x02, 0x03, 0x06, 0xA3


def _bounds(data: bytes, offset: int) -> tuple[int, int]:
    """(start of the content, end of the element) of the DER element at ``offset``."""
    length, start = data[offset + 1], offset + 2
    if length & 0x80:
        count = length & 0x7F
        length, start = int.from_bytes(data[start : start + count], "big"), start + count
    return start, start + length


def children(element: bytes) -> list[bytes]:
    """The DER elements inside the constructed element ``element`` (a SEQUENCE, an explicit tag)."""
    start, end = _bounds(element, 0)
    out = []
    while start < end:
        _, after = _bounds(element, start)
        out.append(element[start:after])
        start = after
    return out


def encode(tag: int, content: bytes) -> bytes:
    size = len(content)
    if size < 0x80:
        return bytes([tag, size]) + content
    raw = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(raw)]) + raw + content


def bit_string(content: bytes) -> bytes:
    """A BIT STRING of whole octets (no unused bits), as a signature is."""
    return encode(BIT_STRING, b"\x00" + content)


def pem(certificate: bytes) -> str:
    """A DER certificate as a PEM block, written by hand: ``cryptography`` may refuse to load an odd one."""
    body = base64.b64encode(certificate).decode()
    lines = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    return f"-----BEGIN CERTIFICATE-----\n{lines}\n-----END CERTIFICATE-----\n"
