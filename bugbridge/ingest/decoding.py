"""Request bodies: read in chunks and decompressed incrementally, never past a byte cap.

A few kilobytes of gzip or brotli can expand to gigabytes (a "zip bomb"), so the cap applies to
the decompressed output as it is produced, not to the finished result.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import Protocol

import brotli

from bugbridge.ingest.errors import IngestError, bad_request

_CHUNK = 64 * 1024


class Readable(Protocol):
    def read(self, size: int = -1) -> bytes: ...


def too_large(limit: int) -> IngestError:
    return IngestError(413, "too_large", f"The body exceeds {limit} bytes after decompression.")


def read_chunks(stream: Readable, limit: int) -> Iterator[bytes]:
    """The raw body in chunks; a compressed body is never larger than its decompressed form."""
    total = 0
    while chunk := stream.read(_CHUNK):
        total += len(chunk)
        if total > limit:
            raise too_large(limit)
        yield chunk


def _inflate(chunks: Iterable[bytes], wbits: int, limit: int) -> Iterator[bytes]:
    inflater = zlib.decompressobj(wbits)
    produced = 0
    for chunk in chunks:
        data = chunk
        while data:
            # max_length stops the inflater early; the rest waits in unconsumed_tail.
            out = inflater.decompress(data, limit - produced + 1)
            produced += len(out)
            if produced > limit:
                raise too_large(limit)
            yield out
            data = inflater.unconsumed_tail
    tail = inflater.flush()
    produced += len(tail)
    if produced > limit:
        raise too_large(limit)
    if not inflater.eof:
        raise zlib.error("compressed data is truncated")
    yield tail


def _gunzip(chunks: Iterable[bytes], limit: int) -> Iterator[bytes]:
    return _inflate(chunks, 16 + zlib.MAX_WBITS, limit)


def _deflate(chunks: Iterable[bytes], limit: int) -> Iterator[bytes]:
    # HTTP "deflate" means zlib-wrapped data, but several clients send raw deflate streams.
    # The zlib header's first byte is 0x?8 with a checksum; anything else is taken as raw.
    iterator = iter(chunks)
    head = b""
    for chunk in iterator:
        head += chunk
        if len(head) >= 2:
            break
    is_zlib = len(head) >= 2 and head[0] & 0x0F == 8 and int.from_bytes(head[:2]) % 31 == 0
    wbits = zlib.MAX_WBITS if is_zlib else -zlib.MAX_WBITS
    yield from _inflate(_prepend(head, iterator), wbits, limit)


def _prepend(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


def _unbrotli(chunks: Iterable[bytes], limit: int) -> Iterator[bytes]:
    decompressor = brotli.Decompressor()
    produced = 0
    for chunk in chunks:
        out = decompressor.process(chunk, output_buffer_limit=_CHUNK)
        # The decoder keeps input it has not expanded yet; empty calls drain it piece by piece.
        while out:
            produced += len(out)
            if produced > limit:
                raise too_large(limit)
            yield out
            out = (
                b""
                if decompressor.is_finished()
                else decompressor.process(b"", output_buffer_limit=_CHUNK)
            )
    if not decompressor.is_finished():
        raise brotli.error("compressed data is truncated")


def _identity(chunks: Iterable[bytes], limit: int) -> Iterator[bytes]:
    return iter(chunks)


_Decoder = Callable[[Iterable[bytes], int], Iterator[bytes]]

_DECODERS: dict[str, _Decoder] = {
    "gzip": _gunzip,
    "x-gzip": _gunzip,
    "deflate": _deflate,
    "br": _unbrotli,
    "identity": _identity,
}


def decode_body(stream: Readable, content_encoding: str, limit: int) -> bytes:
    """The request body, decompressed per Content-Encoding, at most `limit` bytes."""
    encodings = [e.strip().lower() for e in content_encoding.split(",") if e.strip()]
    chunks: Iterator[bytes] = read_chunks(stream, limit)
    # Encodings are listed in the order they were applied, so they are undone in reverse.
    for encoding in reversed(encodings):
        decoder = _DECODERS.get(encoding)
        if decoder is None:
            raise bad_request(
                "bad_encoding",
                f"Unsupported Content-Encoding {encoding!r}: use gzip, deflate or br.",
            )
        chunks = decoder(chunks, limit)
    try:
        return b"".join(chunks)
    except (zlib.error, brotli.error) as exc:
        raise bad_request(
            "bad_compression", f"The body could not be decompressed as {content_encoding}: {exc}"
        ) from exc


def decode_legacy_store_body(body: bytes, limit: int) -> bytes:
    """Old raven clients post base64 of zlib-compressed JSON to /store/ without a header."""
    if body.lstrip()[:1] in (b"{", b""):
        return body
    try:
        packed = base64.b64decode(body, validate=False)
    except binascii.Error:
        return body
    if packed[:1] != b"x":
        return body
    try:
        return b"".join(_inflate([packed], zlib.MAX_WBITS, limit))
    except zlib.error as exc:
        raise bad_request("bad_compression", f"The base64 body is not zlib data: {exc}") from exc
