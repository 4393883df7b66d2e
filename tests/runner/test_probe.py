"""What the run prepares once for every worker: fidelity and sizes per codec x payload, and the
payload pickled so that workers do not generate it again."""

from __future__ import annotations

from pathlib import Path

from serbench.payloads import make_payload
from serbench.payloads.cache import cached_payload
from serbench.runner.probe import Prober


def test_workers_load_the_same_payload_the_run_made(tmp_path: Path) -> None:
    prober = Prober()
    path = prober.cache_file("records:50", tmp_path)
    assert path is not None and path.exists()
    assert prober.cache_file("records:50", tmp_path) == path  # written once
    loaded = cached_payload(str(path), "records:50")
    assert loaded is not None and loaded.obj == make_payload("records:50").obj
    assert cached_payload(str(path), "records:51") is None     # another payload's file
    assert cached_payload(str(tmp_path / "missing"), "records:50") is None
    (tmp_path / "junk").write_bytes(b"not a pickle")
    assert cached_payload(str(tmp_path / "junk"), "records:50") is None
    assert cached_payload(None, "records:50") is None


def test_the_reply_size_is_what_the_server_sends_back() -> None:
    from serbench.codecs import get_codec, joined

    # A lossy codec's server re-encodes what it decoded (msgspec-json: a dataclass became a
    # dict, a datetime a str): the reply is that encoding, measured apart from the request.
    prep = Prober().get("msgspec-json", "objects:10")
    codec = get_codec("msgspec-json")
    obj = make_payload("objects:10").obj
    request = joined(codec.encode(obj))
    reply = joined(codec.encode(codec.decode(memoryview(request))))
    assert prep.fidelity.status == "lossy"
    assert (prep.fidelity.encoded_bytes, prep.reply_bytes) == (len(request), len(reply))
    assert Prober().get("json", "blob:10").reply_bytes is None  # not timed: no reply
