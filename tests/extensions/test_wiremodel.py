"""The wire model: its formulas against hand-computed values, the winner map against an
analytically known crossover, validation and the CLI on synthetic results directories."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from conftest import assert_one_line_error, run_serbench

from serbench.cli.main import main
from serbench.common.vocabulary import bench_name
from serbench.extensions.wiremodel.inputs import contenders
from serbench.extensions.wiremodel.link import LOOPBACK, Framing, Link, link_from_environment
from serbench.extensions.wiremodel.predict import (
    CODEC,
    LINK,
    PROPAGATION,
    SERIALIZATION,
    TRANSPORT_FIXED,
    CodecCosts,
    TransportFloor,
    anchored_stream,
    predict_roundtrip,
    predict_stream,
)
from serbench.extensions.wiremodel.validate import (
    VALIDATION_CSV,
    dominant_term,
    stream_batch,
    validate,
)
from serbench.extensions.wiremodel.winners import winner_map
from serbench.report.data import load_run
from serbench.results import files as results

# Two codecs on one payload: "fast" (30 us of CPU, 100 kB) and "compact" (300 us, 10 kB).
FAST = CodecCosts(encode_s=10e-6, decode_s=20e-6, request_bytes=100_000, reply_bytes=100_000)
COMPACT = CodecCosts(encode_s=100e-6, decode_s=200e-6, request_bytes=10_000,
                     reply_bytes=10_000)
# Wire bytes by hand: 4-byte prefix, then 66 header bytes per 1448-byte segment.
FAST_WIRE = 100_004 + 70 * 66      # ceil(100004 / 1448) = 70 segments
COMPACT_WIRE = 10_004 + 7 * 66     # ceil(10004 / 1448) = 7 segments
FLOOR = TransportFloor(roundtrip=((50_000, 20e-6),), stream=((50_000, 10e-6),))
LINK_8M = Link(rate_bit_s=8e6, rtt_s=0.01, spec="8mbit,5ms")


# -- formulas ----------------------------------------------------------------------------------

def test_a_megabyte_at_8_mbit_is_a_second_plus_its_headers() -> None:
    framing = Framing()
    # 1,000,004 stream bytes in ceil(1000004 / 1448) = 691 segments of 66 header bytes each.
    assert framing.frame_bytes(1_000_000) == 1_000_004 + 691 * 66 == 1_045_610
    assert Link(8e6, 0.0).transmit_s(framing.frame_bytes(1_000_000)) == pytest.approx(1.04561)
    assert framing.frame_bytes(FAST.request_bytes) == FAST_WIRE
    assert framing.frame_bytes(0) == 4 + 66  # an empty frame still takes a segment


def test_round_trip_is_the_sum_of_its_stated_terms() -> None:
    pred = predict_roundtrip(COMPACT, LINK_8M, FLOOR)
    serialization = 2 * 8 * COMPACT_WIRE / 8e6  # 2 x 10466 bytes at 8 Mbit/s = 20.932 ms
    assert pred.term(CODEC) == pytest.approx(600e-6)
    assert pred.term(PROPAGATION) == 0.01
    assert pred.term(SERIALIZATION) == pytest.approx(serialization)
    assert pred.term(TRANSPORT_FIXED) == 20e-6
    assert pred.seconds == pytest.approx(0.031552)
    assert pred.seconds == pytest.approx(sum(t.seconds for t in pred.terms))


def test_loopback_round_trip_is_codec_work_plus_the_null_floor() -> None:
    floor = TransportFloor(roundtrip=((1_000, 10e-6), (100_000, 30e-6)))
    pred = predict_roundtrip(FAST, LOOPBACK, floor)
    # The null floor at 100 kB is 30 us: 10 us fixed plus 20 us that grow with the size.
    assert pred.seconds == pytest.approx(60e-6 + 30e-6)


def test_stream_is_paced_by_its_slowest_stage_plus_the_batch_ack() -> None:
    batch = stream_batch(COMPACT.request_bytes)
    assert batch == 8 * 2**20 // 10_000 == 838
    pred = predict_stream(COMPACT, LINK_8M, FLOOR, batch, shared_core=False)
    tx = 8 * COMPACT_WIRE / 8e6                         # 10.466 ms on the link
    ack = 0.01 + 8 * (4 + 66) / 8e6                     # one RTT plus the ack's segment
    fill = (100e-6 + 5e-6) + (200e-6 + 5e-6)            # the other stages, once per batch
    assert pred.bottleneck == "link" and pred.term(LINK) == pytest.approx(tx)
    assert pred.seconds == pytest.approx(tx + (ack + fill) / batch)
    assert pred.msgs_per_s == pytest.approx(1 / (tx + (ack + fill) / batch))
    # Anchored on a measured 1 ms loopback stream: the link is still the slower stage.
    assert anchored_stream(1e-3, COMPACT, LINK_8M, batch) == pytest.approx(
        tx + (ack + 1e-3) / batch)


def test_a_shared_core_adds_client_and_server_work() -> None:
    split = predict_stream(COMPACT, LOOPBACK, FLOOR, 1000, shared_core=False)
    shared = predict_stream(COMPACT, LOOPBACK, FLOOR, 1000, shared_core=True)
    assert split.bottleneck == "server CPU"
    assert split.seconds == pytest.approx(205e-6 + 105e-6 / 1000)
    assert shared.seconds == pytest.approx(300e-6 + 10e-6)


def test_burst_and_window_limits() -> None:
    burst = Link(8e6, 0.0, burst_bytes=10_000)
    assert burst.transmit_s(COMPACT_WIRE, burst=True) == pytest.approx(8 * 466 / 8e6)
    assert burst.transmit_s(COMPACT_WIRE) == pytest.approx(8 * COMPACT_WIRE / 8e6)
    windowed = Link(1e9, 0.1, window_bytes=1e6)
    assert windowed.effective_rate_bit_s == pytest.approx(8e7)  # 1 MB per 100 ms
    assert LOOPBACK.transmit_s(1e9) == 0.0


def test_link_from_environment_reads_measured_then_configured_figures() -> None:
    configured: dict[str, Any] = {"spec": "100mbit,1ms", "rate_bit_s": 1e8, "delay_s": 0.001}
    link = link_from_environment({"link": configured})
    assert link is not None and link.rate_bit_s == 1e8 and link.rtt_s == 0.002
    assert (link.rate_source, link.rtt_source) == ("configured", "2 x delay_s")
    measured = {**configured, "measured": {"rtt_s": 0.0023, "throughput_bit_s": 9e7}}
    link = link_from_environment({"link": measured})
    assert link is not None and link.rtt_s == 0.0023 and link.rtt_source == "measured"
    # Goodput back to a wire rate: 9e7 x (1448 + 66) / 1448.
    assert link.rate_bit_s == pytest.approx(9e7 * 1514 / 1448)
    link = link_from_environment({"link": measured}, prefer_measured=False)
    assert link is not None and link.rate_bit_s == 1e8
    unlimited = link_from_environment({"link": {"rate_bit_s": None, "delay_s": "x"}})
    assert unlimited is not None and unlimited.rate_bit_s is None and unlimited.rtt_s == 0.0
    assert link_from_environment({}) is None


def test_the_dominant_term_is_the_one_whose_doubling_explains_the_residual() -> None:
    pred = predict_roundtrip(FAST, LINK_8M, FLOOR)
    assert dominant_term(pred, pred.seconds + 0.2) == "serialization x2"
    assert dominant_term(pred, pred.seconds - 0.01) == "propagation x0"
    assert dominant_term(pred, pred.seconds * 0.1) == "serialization x0.057"  # the big one
    # 31.6 ms predicted as 21 ms of serialization and 10 ms of RTT, 5 ms measured: more than
    # any one term could give back.
    compact = predict_roundtrip(COMPACT, LINK_8M, FLOOR)
    assert dominant_term(compact, 0.005) == "outside the model (-26.6 ms per message)"


# -- the winner map ----------------------------------------------------------------------------

def test_the_round_trip_crossover_is_where_cpu_equals_bytes_over_bandwidth() -> None:
    # 2 x (300 - 30) us of CPU = 2 x 8 x (FAST_WIRE - COMPACT_WIRE) / B  at  B* = 2.79 Gbit/s.
    crossover = 8 * (FAST_WIRE - COMPACT_WIRE) / (300e-6 - 30e-6)
    assert crossover == pytest.approx(2.78987e9, rel=1e-4)
    winners = winner_map({"fast": FAST, "compact": COMPACT}, TransportFloor(), payload="p",
                         shared=False, bandwidths=(crossover / 1.05, crossover * 1.05),
                         rtts=(1e-5, 1e-2))
    for rtt in (1e-5, 1e-2):  # R adds alike to both: the winner depends on B alone
        assert winners.roundtrip_winner(crossover / 1.05, rtt) == "compact"
        assert winners.roundtrip_winner(crossover * 1.05, rtt) == "fast"
    assert winners.winners() == ("fast", "compact")


def test_the_stream_crossover_is_where_the_link_overtakes_the_slow_decoder() -> None:
    # compact is paced by its 200 us decode; fast by the link from 8 x FAST_WIRE / 200 us on.
    crossover = 8 * FAST_WIRE / 200e-6
    winners = winner_map({"fast": FAST, "compact": COMPACT}, TransportFloor(), payload="p",
                         shared=False, bandwidths=(crossover / 1.2, crossover * 1.2),
                         rtts=(1e-5,))
    assert winners.stream_winner(crossover / 1.2, 1e-5) == "compact"
    assert winners.stream_winner(crossover * 1.2, 1e-5) == "fast"


# -- synthetic results directories -------------------------------------------------------------

def _row(codec: str, scenario: str, mean_s: float, size: int, *, transport: str = "",
         payload: str = "p", fidelity: str = "exact", family: str = "") -> dict[str, Any]:
    timed = fidelity in ("exact", "lossy")
    return {"codec": codec, "scenario": scenario, "transport": transport, "payload": payload,
            "payload_spec": "p", "status": "ok" if timed else "skipped",
            "mean_s": mean_s if timed else None, "msgs_per_s": 1 / mean_s if timed else None,
            "encoded_bytes": size if timed else None, "reply_bytes": size if timed else None,
            "fidelity": fidelity, "family": family,
            "benchmark": bench_name(scenario, transport or None, payload)}


def _write_run(directory: Path, rows: list[dict[str, Any]], environment: dict[str, Any]
               ) -> Path:
    import pyperf

    directory.mkdir(parents=True)
    results.write_summary(directory, rows)
    results.write_environment(directory, {"format_version": 2, **environment})
    for codec in dict.fromkeys(r["codec"] for r in rows):
        benches = [pyperf.Benchmark([pyperf.Run([r["mean_s"]], collect_metadata=False,
                                                metadata={"name": r["benchmark"], "loops": 1,
                                                          "unit": "second"})])
                   for r in rows if r["codec"] == codec and r["status"] == "ok"]
        if benches:
            buffer = io.StringIO()
            pyperf.BenchmarkSuite(benches).dump(buffer)
            results.suite_path(directory, codec).write_text(buffer.getvalue())
    return directory


def _in_process(codec: str, costs: CodecCosts, **kw: Any) -> list[dict[str, Any]]:
    return [_row(codec, "encode", costs.encode_s, costs.request_bytes, **kw),
            _row(codec, "decode", costs.decode_s, costs.request_bytes, **kw)]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A loopback run (fast, compact, null floor; plus codecs the chart must leave out) and a
    link run at 8 Mbit/s and 10 ms RTT whose fast round trip is far off the model."""
    root = tmp_path_factory.mktemp("wiremodel")
    null = CodecCosts(2e-8, 2e-8, 50_000, 50_000)
    loop_rows = [
        *_in_process("fast", FAST), *_in_process("compact", COMPACT),
        *_in_process("null", null),
        _row("null", "roundtrip", 20e-6, 50_000, transport="tcp"),
        _row("compact", "roundtrip", 700e-6, 10_000, transport="tcp"),
        _row("null", "stream", 10e-6, 50_000, transport="tcp"),
        *_in_process("typed", COMPACT, family="typed, validating"),
        *_in_process("broken", COMPACT, fidelity="unsupported"),
    ]
    loopback = _write_run(root / "loopback", loop_rows, {"pin": "split"})
    compact_trip = predict_roundtrip(COMPACT, LINK_8M, FLOOR).seconds
    fast_trip = predict_roundtrip(FAST, LINK_8M, FLOOR).seconds
    link_rows = [
        _row("compact", "roundtrip", compact_trip * 1.05, 10_000, transport="tcp"),
        _row("fast", "roundtrip", fast_trip + 0.2, 100_000, transport="tcp"),
        _row("compact", "stream", 1 / 95.0, 10_000, transport="tcp"),
        _row("unknown", "roundtrip", 0.05, 10_000, transport="tcp"),
    ]
    link = {"spec": "8mbit,5ms", "rate_bit_s": 8e6, "delay_s": 0.005,
            "measured": {"rtt_s": 0.01}}
    linked = _write_run(root / "linked", link_rows, {"pin": "split", "link": link})
    return loopback, linked


def test_validation_reports_the_error_per_cell(runs: tuple[Path, Path]) -> None:
    loopback, linked = runs
    link = link_from_environment(results.read_environment(linked), prefer_measured=False)
    assert link is not None and link.rtt_s == 0.01  # configured: 2 x 5 ms
    v = validate(load_run(loopback), load_run(linked), link)
    by = {(r.codec, r.measure): r for r in v.rows}
    assert set(by) == {("compact", "roundtrip/tcp"), ("fast", "roundtrip/tcp"),
                       ("compact", "stream/tcp")}
    compact = by["compact", "roundtrip/tcp"]
    assert compact.predicted == pytest.approx(0.031552)
    assert compact.error == pytest.approx(1 / 1.05 - 1) and compact.within
    assert compact.dominant == ""
    # Anchored: compact's loopback round trip (700 us) + RTT + 2 x 10466 bytes at 8 Mbit/s.
    assert compact.anchored == pytest.approx(700e-6 + 0.01 + 0.020932)
    assert by["fast", "roundtrip/tcp"].anchored is None  # no loopback round trip of fast
    fast = by["fast", "roundtrip/tcp"]
    assert not fast.within and fast.dominant == "serialization x2"
    stream = by["compact", "stream/tcp"]
    assert stream.unit == "msg/s" and stream.measured == pytest.approx(95.0)
    assert stream.predicted == pytest.approx(1 / (8 * COMPACT_WIRE / 8e6 + 0.01038 / 838))
    assert stream.within
    assert v.within_count == 2 and v.missing == (
        ("unknown", "p", "roundtrip/tcp", "no in-process figures in the loopback run"),)
    assert v.median_abs_error == pytest.approx(abs(compact.error))  # of 4.8 %, 0.5 %, 48 %


def test_the_chart_ranks_only_general_codecs_that_round_trip(runs: tuple[Path, Path]) -> None:
    assert contenders(load_run(runs[0]), "p") == ["fast", "compact"]


def test_cli_validate_prints_the_table_and_writes_the_csv(
        runs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    loopback, linked = runs
    assert main(["wiremodel", "validate", str(loopback), str(linked)]) == 0
    out = capsys.readouterr().out
    assert "RTT = 10 ms (measured)" in out and "serialization x2" in out
    assert "2 of 3 cells within ±15 %" in out and "not predicted: 1 cell(s)" in out
    rows = list(csv.DictReader(io.StringIO((linked / VALIDATION_CSV).read_text(encoding="utf-8"))))
    assert [(r["codec"], r["measure"], r["within"]) for r in rows] == [
        ("compact", "roundtrip/tcp", "1"), ("fast", "roundtrip/tcp", "0"),
        ("compact", "stream/tcp", "1")]
    fast = rows[1]
    assert float(fast["error_pct"]) < -15 and fast["dominant"] == "serialization x2"
    assert "serialization=" in fast["terms"] and fast["rate_bit_s"] == "8000000.0"


@pytest.mark.slow
def test_cli_errors_are_one_line(runs: tuple[Path, Path], tmp_path: Path) -> None:
    loopback, linked = runs
    assert_one_line_error(run_serbench("model", "validate", str(tmp_path / "gone"), str(linked)),
                          "no such results directory")
    assert_one_line_error(run_serbench("model", "validate", str(loopback), str(loopback)),
                          "records no link")
    assert_one_line_error(run_serbench("model", "validate", str(linked), str(linked)),
                          "give a loopback run first")
    assert_one_line_error(run_serbench("model", "chart", str(linked)), "chart a loopback run")
    assert_one_line_error(run_serbench("model", "chart", str(loopback), "--payload", "q"),
                          "no payload 'q'")


def test_cli_chart_writes_a_png(runs: tuple[Path, Path],
                                capsys: pytest.CaptureFixture[str]) -> None:
    loopback = runs[0]
    assert main(["wiremodel", "chart", str(loopback), "--payload", "p"]) == 0
    path = loopback / "wiremodel-p.png"
    assert f"wrote {path}" in capsys.readouterr().out
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 1000
