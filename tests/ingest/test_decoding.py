from __future__ import annotations

import gzip
import io
import zlib

import brotli
import pytest

from bugbridge.ingest.decoding import decode_body, decode_legacy_store_body
from bugbridge.ingest.errors import IngestError

BODY = b'{"message": "hello"}' * 100


def _decode(data: bytes, encoding: str, limit: int = 1 << 20) -> bytes:
    return decode_body(io.BytesIO(data), encoding, limit)


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda b: zlib.compress(b, wbits=-15)),  # raw deflate, sent by some clients
        ("br", brotli.compress),
        ("", lambda b: b),
        ("identity", lambda b: b),
    ],
)
def test_each_encoding_round_trips(encoding: str, compress: object) -> None:
    assert callable(compress)
    assert _decode(compress(BODY), encoding) == BODY


def test_stacked_encodings_are_undone_in_reverse() -> None:
    assert _decode(brotli.compress(gzip.compress(BODY)), "gzip, br") == BODY
    assert _decode(gzip.compress(zlib.compress(BODY)), "deflate, gzip") == BODY


def test_error_in_an_inner_layer_is_a_400() -> None:
    with pytest.raises(IngestError) as caught:
        _decode(b"not gzip at all", "deflate, gzip")
    assert caught.value.status == 400


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [("gzip", gzip.compress), ("deflate", zlib.compress), ("br", brotli.compress)],
)
def test_zip_bomb_stops_at_the_cap(encoding: str, compress: object) -> None:
    assert callable(compress)
    bomb = compress(b"\0" * (16 * 1024 * 1024))  # a few KB that expand to 16 MB
    with pytest.raises(IngestError) as caught:
        _decode(bomb, encoding, limit=1024 * 1024)
    assert caught.value.status == 413


def test_raw_body_over_the_cap_is_refused() -> None:
    with pytest.raises(IngestError) as caught:
        _decode(b"x" * 2048, "", limit=1024)
    assert caught.value.status == 413


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_garbage_is_a_400(encoding: str) -> None:
    with pytest.raises(IngestError) as caught:
        _decode(b"\x1f\x8b definitely not compressed", encoding)
    assert (caught.value.status, caught.value.reason) == (400, "bad_compression")


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [("gzip", gzip.compress), ("deflate", zlib.compress), ("br", brotli.compress)],
)
def test_truncated_stream_is_a_400(encoding: str, compress: object) -> None:
    assert callable(compress)
    data = compress(BODY * 50)
    with pytest.raises(IngestError) as caught:
        _decode(data[: len(data) // 2], encoding)
    assert caught.value.status == 400


def test_unknown_encoding_is_a_400_naming_it() -> None:
    with pytest.raises(IngestError) as caught:
        _decode(BODY, "zstd")
    assert caught.value.status == 400
    assert "zstd" in caught.value.detail


def test_legacy_store_body_base64_zlib() -> None:
    import base64

    packed = base64.b64encode(zlib.compress(BODY))
    assert decode_legacy_store_body(packed, 1 << 20) == BODY
    assert decode_legacy_store_body(BODY, 1 << 20) == BODY
