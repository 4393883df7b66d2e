"""One row of summary.csv as a typed record, in the current results format: what the reader
(`serbench.results.read`) gives every consumer of a results directory.

The columns and their types are the format's (`files.COLUMNS`); `values` and `process_means`
come from the codec's pyperf suite, not from summary.csv (whose `values` is a count).
"""

from __future__ import annotations

from dataclasses import dataclass

from serbench.common.vocabulary import FAMILY_GENERAL, OK, PERCENTILE_KEYS, TIMED_CLASSES

FLOAT_COLUMNS = frozenset({
    "mean_s", "stdev_s", *PERCENTILE_KEYS, "msgs_per_s", "mb_per_s", "objects_per_s",
    "mean_lo_s", "mean_hi_s", "ratio", "ratio_lo", "ratio_hi", "floor_ratio", "floor_ratio_lo",
    "floor_ratio_hi", "p999_lo_s", "p999_hi_s", "warmup_s", "faults_per_call",
    "cold_import_s", "cold_first_s"})
INT_COLUMNS = frozenset({
    "encoded_bytes", "zlib_bytes", "reference_bytes", "payload_size", "samples", "processes",
    "ratio_rounds", "rank", "reply_bytes", "settled_workers", "cold_first_faults",
    "cold_rss_growth", "alloc_peak_bytes", "retained_bytes", "retained_blocks"})
#: Fields filled from the pyperf suites, not from summary.csv.
SUITE_FIELDS = frozenset({"values", "process_means"})


@dataclass(frozen=True)
class CellRecord:
    """One row of summary.csv, typed, plus the pyperf values of its benchmark (when timed).

    The format-2 columns (`processes` ... `reply_bytes`) are None or "" where the run has no
    figure for them, and in every row of a run upgraded from format 1 (no intervals).
    """

    codec: str
    scenario: str
    transport: str
    payload: str
    status: str
    fidelity: str = ""
    detail: str = ""
    losses: str = ""
    payload_spec: str = ""
    payload_size: int | None = None
    benchmark: str = ""
    library: str = ""
    version: str = ""
    mean_s: float | None = None
    stdev_s: float | None = None
    p50_s: float | None = None
    p90_s: float | None = None
    p99_s: float | None = None
    p999_s: float | None = None
    max_s: float | None = None
    msgs_per_s: float | None = None
    mb_per_s: float | None = None
    objects_per_s: float | None = None
    encoded_bytes: int | None = None
    zlib_bytes: int | None = None
    reference_bytes: int | None = None
    samples: int | None = None
    # -- results format 2 --
    processes: int | None = None
    mean_lo_s: float | None = None
    mean_hi_s: float | None = None
    ratio: float | None = None
    ratio_lo: float | None = None
    ratio_hi: float | None = None
    ratio_rounds: int | None = None
    floor_ratio: float | None = None
    floor_ratio_lo: float | None = None
    floor_ratio_hi: float | None = None
    rank: int | None = None
    tied_with: str = ""
    suspect: str = ""
    p999_lo_s: float | None = None
    p999_hi_s: float | None = None
    reply_bytes: int | None = None
    #: The codec's family (ranked only within it; "" in runs before the zoo: general) and
    #: what a schema codec's timed calls cover.
    family: str = ""
    timing: str = ""
    #: Steady state, cold start and memory per call (serbench.cells.steady, .firsts, .memory):
    #: medians over worker processes; None in runs before them and where a scenario has none.
    warmup_s: float | None = None
    settled_workers: int | None = None
    faults_per_call: float | None = None
    cold_import_s: float | None = None
    cold_first_s: float | None = None
    cold_first_faults: int | None = None
    cold_rss_growth: int | None = None
    alloc_peak_bytes: int | None = None
    retained_bytes: int | None = None
    retained_blocks: int | None = None
    #: pyperf's values (seconds per call), one per timed value over every worker process.
    values: tuple[float, ...] = ()
    #: The mean of each worker process's values (the unit of replication), in file order.
    process_means: tuple[float, ...] = ()

    @property
    def key(self) -> tuple[str, str, str, str]:
        """codec, scenario, transport, payload: what names the cell in its run."""
        return (self.codec, self.scenario, self.transport, self.payload)

    @property
    def measure(self) -> str:
        """What was timed, without codec or payload: `roundtrip/tcp`, `encode`, ..."""
        return f"{self.scenario}/{self.transport}" if self.transport else self.scenario

    @property
    def timed(self) -> bool:
        """The cell has a measurement."""
        return self.status == OK and self.mean_s is not None

    @property
    def rankable(self) -> bool:
        """Measured on a payload the codec round-trips (exact or lossy): it may be ranked."""
        return self.timed and self.fidelity in TIMED_CLASSES

    @property
    def headline(self) -> bool:
        """Ranked in the payload's headline (the general family: from the Python object to
        bytes and back); prepared-message and typed codecs are ranked in their own tables."""
        return self.family in ("", FAMILY_GENERAL)

    @property
    def payload_name(self) -> str:
        """The payload shape (`records` for `records:1000`); the label for files/factories."""
        name, sep, size = self.payload_spec.partition(":")
        return name if sep and size.isdigit() else self.payload

    @property
    def reason(self) -> str:
        """Why the cell has no figure (skipped or failed), in one line."""
        if self.status == OK:
            return ""
        return self.detail or self.status
