"""Durations and sizes (`serbench.common.units`): the one grammar every option reads, its
errors, and the call sites that keep their own context (the flag, the key, the link)."""

from __future__ import annotations

import re

import pytest

from serbench.cli.load_cmd import parse_seconds
from serbench.common.errors import UserError
from serbench.common.units import parse_duration, parse_size, seconds
from serbench.runner import matrix
from serbench.transport.link.spec import parse_link


@pytest.mark.parametrize(("text", "value"), [
    ("300", 300.0), ("0.5", 0.5), (".5", 0.5), ("5.", 5.0), ("1e-3", 1e-3), ("2E3", 2000.0),
    ("500ns", 500e-9), ("200us", 200e-6), ("200µs", 200e-6), ("200μs", 200e-6),
    ("1ms", 1e-3), ("1.5 ms", 1.5e-3), ("90s", 90.0), ("2sec", 2.0), ("5m", 300.0),
    ("5min", 300.0), ("1.5h", 5400.0), (" 10 s ", 10.0), ("1MS", 1e-3), ("0", 0.0),
    ("0ms", 0.0), (300, 300.0), (2.5, 2.5), (0, 0.0)])
def test_durations(text: str | float, value: float) -> None:
    assert parse_duration(text) == pytest.approx(value)


@pytest.mark.parametrize("text", [
    "", "soon", "5 minutes", "1d", "5m30s", "-1", "-1s", "1,5s", "ms", "1e", "1ee3", "inf",
    "nan", "1 2", True, float("inf"), float("nan"), -1, -0.5])
def test_bad_durations_say_what_a_duration_is(text: str | float) -> None:
    with pytest.raises(UserError, match=r"^(not a duration: |a duration must be zero or more)"
                       ) as info:
        parse_duration(text)
    assert "\n" not in str(info.value)


def test_the_grammar_is_in_the_error() -> None:
    with pytest.raises(UserError) as info:
        parse_duration("soon")
    message = str(info.value)
    assert message.startswith("not a duration: 'soon'")
    for example in ("ns", "us", "ms", "5m", "90s", "1.5h"):
        assert example in message


def test_positive_and_unit_required() -> None:
    for zero in ("0", "0s", 0, 0.0):
        with pytest.raises(UserError, match="a duration must be positive"):
            parse_duration(zero, positive=True)
    with pytest.raises(UserError, match="a duration must be positive"):
        parse_duration(-3, positive=True)
    with pytest.raises(UserError, match="it needs a unit"):
        parse_duration("1", unit_required=True)
    assert parse_duration("1ms", unit_required=True, positive=True) == pytest.approx(1e-3)


@pytest.mark.parametrize("value", [3e-9, 1.23e-5, 4.56e-3, 1.5, 42.0, 1234.0])
def test_what_seconds_writes_reads_back(value: float) -> None:
    for micro in ("µs", "us"):
        assert parse_duration(seconds(value, micro)) == pytest.approx(value, rel=5e-3)


def test_call_sites_keep_their_context() -> None:
    assert matrix.parse_duration("5m") == 300.0
    with pytest.raises(UserError, match=r"^not a duration: 'soon'"):
        matrix.parse_duration("soon")
    with pytest.raises(UserError, match="a duration must be positive"):
        matrix.parse_duration(0)
    assert parse_seconds("500us", "--p99-target") == pytest.approx(5e-4)
    with pytest.raises(UserError, match=r"^--duration: not a duration: 'soon'"):
        parse_seconds("soon", "--duration")
    with pytest.raises(UserError, match=r"^--p99-target: a duration must be positive"):
        parse_seconds("0ms", "--p99-target")
    assert parse_link("1gbit,500us").delay_s == pytest.approx(5e-4)
    assert parse_link("1gbit,0.5s").delay_s == pytest.approx(0.5)
    with pytest.raises(UserError, match=r"^link '1gbit,1': bad delay: .*needs a unit"):
        parse_link("1gbit,1")
    with pytest.raises(UserError, match=r"^link '1gbit,1h': bad delay '1h': .*not a link"):
        parse_link("1gbit,1h")


@pytest.mark.parametrize(("text", "value"), [
    ("5000", 5000), ("5k", 5000), ("5K", 5000), ("2M", 2_000_000), ("2m", 2_000_000),
    ("1G", 10**9), (" 7 k ", 7000), ("0", 0)])
def test_sizes(text: str, value: int) -> None:
    assert parse_size(text) == value


@pytest.mark.parametrize("text", ["", "lots", "1.5k", "-1", "5kb", "k", "1T", "5 000"])
def test_bad_sizes_name_what_was_read(text: str) -> None:
    with pytest.raises(UserError, match=rf"^bad payload size {re.escape(repr(text))}: use "):
        parse_size(text, "payload size")
