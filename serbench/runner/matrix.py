"""Matrix files: a declarative TOML list of codecs, payloads, transports and scenarios.

`scenarios/default.toml` is the embedded default; CLI filters narrow or replace each list.
A key nobody knows is an error naming the key and its line, so a typo never silently runs the
wrong matrix.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from serbench.codecs import check_names, codec_entries
from serbench.common import units
from serbench.common.cell import Cell
from serbench.common.errors import UserError, unknown_name
from serbench.common.units import parse_size
from serbench.common.vocabulary import (
    DEFAULT_TRANSPORTS,
    GC_POLICIES,
    MALLOC_POLICIES,
    MALLOC_STEADY,
    PIN_MODES,
    SCENARIOS,
    SOCKET_SCENARIOS,
    TRANSPORTS,
)
from serbench.payloads import get_payload, payload_entries
from serbench.transport.link.spec import parse_link

LIST_KEYS = ("codecs", "payloads", "transports", "scenarios")


@dataclass(frozen=True)
class Budget:
    """How a run spends its time: interleaved rounds, one worker process per cell per round.

    `time` (seconds) is the whole run's wall-time budget: rounds are planned to fit it, between
    `min_rounds` and `max_rounds`. Without `time`, exactly `rounds` rounds run. Each worker
    measures `warmups` + `values` values of about `min_time` seconds; `min_samples` raises a
    round trip's loops so that `min_rounds` rounds pool at least that many request latencies.
    """

    time: float | None = None
    rounds: int = 3
    min_rounds: int = 3
    max_rounds: int = 40
    values: int = 1
    warmups: int = 1
    min_time: float = 0.02
    min_samples: int = 0


def parse_duration(text: str | float) -> float:
    """Seconds from `300`, `"300s"`, `"5m"` or `"1.5h"` (the budget's `time`, `--time`):
    the grammar of `serbench.common.units.parse_duration`, positive."""
    return units.parse_duration(text, positive=True)


@dataclass(frozen=True)
class Matrix:
    """What to run: the cross product of the lists, at a budget, with placement and GC."""

    codecs: list[str]
    payloads: list[str]
    transports: list[str] = field(default_factory=lambda: list(DEFAULT_TRANSPORTS))
    scenarios: list[str] = field(default_factory=lambda: list(SCENARIOS))
    budget: Budget = field(default_factory=Budget)
    pin: str = "same"
    gc: str = "on"
    malloc: str = MALLOC_STEADY
    source: str = "<built in>"
    #: A link spec (`100mbit,1ms`): the socket scenarios run across it (serbench.transport.link).
    link: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The matrix as run, for environment.json."""
        return dataclasses.asdict(self)


def builtin_matrix_path(name: str = "default") -> Path:
    """A matrix shipped with serbench: in the wheel, or the repository's `scenarios/`."""
    packaged = resources.files("serbench").joinpath("_scenarios", f"{name}.toml")
    if packaged.is_file():
        return Path(str(packaged))
    source = Path(__file__).resolve().parent.parent.parent / "scenarios" / f"{name}.toml"
    if source.is_file():
        return source
    raise UserError(f"no built-in matrix named {name!r}")


def load_matrix(path: Path) -> Matrix:
    """Parse and validate a matrix file; errors name the file, the key and the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"matrix file {path}: cannot read it ({exc.strerror or exc})") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"matrix file {path}: not valid TOML: {exc}") from exc

    def bad(key: str, why: str) -> UserError:
        return UserError(f"matrix file {path}, line {_line_of(text, key)}: {why}")

    known_top = {*LIST_KEYS, "budget", "options", "link"}
    for key in data:
        if key not in known_top:
            raise bad(key, f"unknown key {key!r}; known keys: {', '.join(sorted(known_top))}")
    lists: dict[str, list[str]] = {}
    for key in LIST_KEYS:
        value = data.get(key)
        if value is None:
            continue
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value) or not value:
            raise bad(key, f"{key!r} must be a non-empty list of strings")
        lists[key] = value
    if "codecs" not in lists or "payloads" not in lists:
        raise UserError(f"matrix file {path}: 'codecs' and 'payloads' are required")
    budget = _section(data, "budget", Budget(), bad)
    options = data.get("options", {})
    if not isinstance(options, dict):
        raise bad("options", "[options] must be a table")
    for key in options:
        if key not in ("pin", "gc", "malloc"):
            raise bad(key, f"unknown key {key!r} in [options]; known keys: gc, malloc, pin")
    matrix = Matrix(
        codecs=lists["codecs"], payloads=lists["payloads"],
        transports=lists.get("transports", list(DEFAULT_TRANSPORTS)),
        scenarios=lists.get("scenarios", list(SCENARIOS)),
        budget=budget, pin=str(options.get("pin", "same")), gc=str(options.get("gc", "on")),
        malloc=str(options.get("malloc", MALLOC_STEADY)),
        source=str(path), link=_link_key(data, bad),
    )
    _validate_names(matrix, text, path)
    return matrix


def _validate_names(matrix: Matrix, text: str, path: Path) -> None:
    """`validate`, with each error placed at its key and line in the file."""
    checks: list[tuple[str, list[str], Any]] = [
        ("codecs", matrix.codecs, _check_codec),
        ("payloads", matrix.payloads, _check_payload_spec),
        ("transports", matrix.transports, lambda v: _check_in("transport", v, TRANSPORTS)),
        ("scenarios", matrix.scenarios, check_scenario),
        ("pin", [matrix.pin], lambda v: _check_in("pin mode", v, PIN_MODES)),
        ("gc", [matrix.gc], lambda v: _check_in("gc policy", v, GC_POLICIES)),
        ("malloc", [matrix.malloc], lambda v: _check_in("malloc policy", v, MALLOC_POLICIES)),
    ]
    for key, values, check in checks:
        for value in values:
            try:
                check(value)
            except UserError as exc:
                raise UserError(f"matrix file {path}, line {_line_of_value(text, key, value)} "
                                f"({key}): {exc}") from exc


def _check_in(kind: str, value: str, known: tuple[str, ...] | list[str]) -> None:
    if value not in known:
        raise _with_suggestion(unknown_name(kind, value, list(known)), value, known)


def check_scenario(name: str) -> None:
    """A `UserError` for a scenario `run` does not time; `load` names its own command."""
    if name == "load":
        raise UserError("scenario 'load' is its own command, `serbench load` (it sweeps "
                        "offered rates instead of timing rounds under pyperf): see "
                        "docs/load.md")
    _check_in("scenario", name, SCENARIOS)


def _check_codec(name: str) -> None:

    try:
        check_names([name])
    except UserError as exc:
        raise _with_suggestion(exc, name.partition("+")[0], list(codec_entries())) from exc


def _check_payload_spec(spec: str) -> None:
    """A registered payload name and a valid size; files and factories are checked when
    they are loaded (before anything runs)."""

    if spec.startswith("file:"):
        return
    name, sep, size = spec.partition(":")
    if name not in payload_entries() and ("." in name or (sep and not size[:1].isdigit())):
        return  # module:function, a factory
    try:
        get_payload(name)
    except UserError as exc:
        raise _with_suggestion(exc, name, list(payload_entries())) from exc
    if sep:
        parse_size(size, "payload size")


def _with_suggestion(exc: UserError, name: str, known: Any) -> UserError:
    close = difflib.get_close_matches(name, list(known), n=1)
    return UserError(f"{exc}; did you mean {close[0]!r}?") if close else exc


def _link_key(data: dict[str, Any], bad: Any) -> str | None:
    """The file's `link = "100mbit,1ms"`, checked (serbench.transport.link.spec)."""

    value = data.get("link")
    if value is None:
        return None
    if not isinstance(value, str):
        raise bad("link", "'link' must be a string such as \"100mbit,1ms\"")
    try:
        parse_link(value)
    except UserError as exc:
        raise bad("link", str(exc)) from exc
    return value


def _line_of_value(text: str, key: str, value: str) -> int | str:
    """The line of `value` within `key`'s list (or of the key itself)."""
    start = _line_of(text, key)
    if not isinstance(start, int):
        return start
    lines = text.splitlines()
    quoted = (f'"{value}"', f"'{value}'")
    for number in range(start, len(lines) + 1):
        line = lines[number - 1]
        if any(q in line for q in quoted):
            return number
        if number > start and re.match(r"^\s*(\[|[A-Za-z_][\w-]*\s*=)", line):
            break
    return start


def _section(data: dict[str, Any], name: str, default: Budget, bad: Any) -> Budget:
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise bad(name, f"[{name}] must be a table")
    fields = {f.name: f.type for f in dataclasses.fields(default)}
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key == "processes":  # serbench 0.1's name: one worker process per round now
            key = "rounds"
        if key not in fields:
            raise bad(key, f"unknown key {key!r} in [{name}]; known keys: "
                           f"{', '.join(sorted(fields))}")
        if key == "time":
            try:
                values[key] = parse_duration(value)
            except UserError as exc:
                raise bad(key, f"[{name}] time: {exc}") from exc
            continue
        expected = float if fields[key] == "float" else int
        if isinstance(value, bool) or not isinstance(value, int | float) or (
                expected is int and not isinstance(value, int)) or value < 0 or (
                value == 0 and key not in ("warmups", "min_samples")):
            raise bad(key, f"[{name}] {key} must be a positive {expected.__name__}")
        values[key] = expected(value)
    budget = dataclasses.replace(default, **values)
    if budget.min_rounds > budget.max_rounds:
        raise bad("min_rounds", f"[{name}] min_rounds is above max_rounds")
    return budget


def _line_of(text: str, key: str) -> int | str:
    for number, line in enumerate(text.splitlines(), 1):
        if re.match(rf"^\s*(\[\s*)?{re.escape(key)}\s*(=|\])", line):
            return number
    return "?"


def validate(matrix: Matrix) -> None:
    """Every name in the matrix must be known (codecs, transports, scenarios, options)."""

    check_names(matrix.codecs)
    for transport in matrix.transports:
        if transport not in TRANSPORTS:
            raise unknown_name("transport", transport, list(TRANSPORTS))
    for scenario in matrix.scenarios:
        check_scenario(scenario)
    if matrix.pin not in PIN_MODES:
        raise unknown_name("pin mode", matrix.pin, list(PIN_MODES))
    if matrix.gc not in GC_POLICIES:
        raise unknown_name("gc policy", matrix.gc, list(GC_POLICIES))
    if matrix.malloc not in MALLOC_POLICIES:
        raise unknown_name("malloc policy", matrix.malloc, list(MALLOC_POLICIES))
    if matrix.link is not None:

        parse_link(matrix.link)


def expand(matrix: Matrix) -> list[Cell]:
    """The cells of a matrix, codec by codec (so each codec's suite file fills in order)."""
    cells: list[Cell] = []
    for codec in matrix.codecs:
        for payload in matrix.payloads:
            for scenario in matrix.scenarios:
                if scenario in SOCKET_SCENARIOS:
                    cells.extend(Cell(codec, payload, scenario, t) for t in matrix.transports)
                else:
                    cells.append(Cell(codec, payload, scenario, None))
    return cells
