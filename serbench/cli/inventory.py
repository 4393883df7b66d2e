"""What `serbench list` and `serbench verify` report: codecs, payloads, the fidelity matrix."""

from __future__ import annotations

from typing import Any

from serbench.codecs import CodecUnavailable, codec_entries, get_codec
from serbench.codecs.compression import compressor_status
from serbench.fidelity import roundtrip as fidelity
from serbench.payloads import make_payload, payload_entries


def describe_codecs() -> list[dict[str, Any]]:
    """One dict per registered codec: where it comes from, whether it is usable, its flags."""
    rows = []
    for name, entry in sorted(codec_entries().items()):
        row: dict[str, Any] = {"name": name, "distribution": entry.distribution}
        try:
            codec = get_codec(name)
        except CodecUnavailable as exc:
            row.update(available=False, reason=str(exc), library=None, version=None)
        else:
            row.update(available=True, reason=None, library=codec.library,
                       version=codec.version, options=codec.options,
                       call_path=codec.call_path, **codec.capabilities())
        rows.append(row)
    return rows


def describe_payloads() -> list[dict[str, Any]]:
    """One dict per registered payload shape."""
    return [
        {"name": name, "description": p.description, "default_size": p.default_size,
         "unit": p.unit}
        for name, p in sorted(payload_entries().items())
    ]


def describe_compressors() -> list[dict[str, Any]]:
    """Each compressor usable as `<codec>+<name>`, and why not when it is missing."""
    return [{"name": n, "available": why is None, "reason": why}
            for n, why in compressor_status().items()]


def fidelity_matrix(codec_names: list[str], payload_specs: list[str]) -> list[fidelity.Fidelity]:
    """Round-trip every codec x payload once; unavailable codecs become `unsupported` rows."""
    payloads = [make_payload(spec) for spec in payload_specs]
    results: list[fidelity.Fidelity] = []
    for name in codec_names:
        try:
            codec = get_codec(name)
        except CodecUnavailable as exc:
            results.extend(fidelity.Fidelity(name, p.label, fidelity.UNSUPPORTED,
                                             f"codec unavailable: {exc}") for p in payloads)
            continue
        results.extend(fidelity.check_bound(codec, p)[0] for p in payloads)
    return results
