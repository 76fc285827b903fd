"""Count, maximum, median and p90 of call-to-stamp durations per group, exact on both databases.

Percentiles interpolate linearly between the closest ranks (PostgreSQL's ``percentile_cont``): with N
durations sorted ascending, the p-th percentile sits at 0-based position h = (N - 1) * p. Each figure is
returned as an exact integer *numerator* in microseconds (median x 2, p90 x 10), so nothing is rounded
before the final conversion to minutes.

- PostgreSQL: ``percentile_cont`` itself, with ``FILTER`` for the figures without flagged jobs. Its
  float8 result is x[lo] + frac * (x[lo+1] - x[lo]) on integer microseconds, so ``round(value * den)``
  recovers the exact numerator.
- SQLite has no percentile function and its window functions are slow on hundreds of thousands of rows,
  so it selects the ranks in two passes: a histogram of one-minute buckets (count, and count without
  flagged jobs, per group) and a running sum over the buckets find the buckets holding the wanted ranks;
  only the rows of those buckets are then ranked exactly with ``row_number()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    CTE,
    BigInteger,
    ColumnElement,
    CompoundSelect,
    Select,
    and_,
    case,
    cast,
    func,
    literal_column,
    null,
    or_,
    select,
    union_all,
)

from server.db.models import Job
from server.reports.filters import ReportFilters
from server.reports.sql import duration_us, interpolated_numerator

#: measure name -> the job's stamp it ends at (all start at call_received_at)
MEASURES: dict[str, Any] = {
    "acknowledge": Job.acknowledged_at,
    "arrive": Job.arrived_at,
    "fix": Job.resolved_at,
}
#: figure -> (numerator, denominator) of the percentile fraction
FRACTIONS: dict[str, tuple[int, int]] = {"median": (1, 2), "p90": (9, 10)}
BUCKET_US = 60_000_000  # SQLite histogram: one minute


@dataclass(frozen=True, slots=True)
class Figures:
    """One measure of one group, in microseconds; percentiles as numerators over their denominator."""

    count: int
    count_clean: int
    max: int | None
    max_clean: int | None
    median: int | None  # x 2
    p90: int | None  # x 10
    median_clean: int | None
    p90_clean: int | None


def base_cte(dialect: str, filters: ReportFilters, key: ColumnElement[Any] | None) -> CTE:
    """(g, f, acknowledge, arrive, fix): the group key, 1 for flagged times, durations in microseconds."""
    columns: list[Any] = [
        (key if key is not None else literal_column("0")).label("g"),
        case((Job.times_flagged, 1), else_=0).label("f"),
    ]
    columns += [duration_us(dialect, stamp, Job.call_received_at).label(m) for m, stamp in MEASURES.items()]
    base = select(*columns).where(*filters.conditions()).cte("base")
    return base.prefix_with("MATERIALIZED") if dialect == "sqlite" else base


# --- PostgreSQL -----------------------------------------------------------------------------------


def postgres_statement(base: CTE) -> Select[Any]:
    """One row per group: jobs, and per measure count, clean count, maxima and percentile_cont values."""
    columns: list[Any] = [base.c.g, func.count().label("jobs")]
    clean = base.c.f == 0
    for m in MEASURES:
        v = base.c[m]
        columns += [
            func.count(v).label(f"{m}.count"),
            func.count(v).filter(clean).label(f"{m}.count_clean"),
            func.max(v).label(f"{m}.max"),
            func.max(v).filter(clean).label(f"{m}.max_clean"),
        ]
        # one sort per array: both fractions read the same ordered input
        fractions: ColumnElement[Any] = literal_column(
            "ARRAY[" + ", ".join(repr(num / den) for num, den in FRACTIONS.values()) + "]::float8[]"
        )
        columns.append(func.percentile_cont(fractions).within_group(v).label(f"{m}.pct"))
        columns.append(func.percentile_cont(fractions).within_group(v).filter(clean).label(f"{m}.pct_clean"))
    return select(*columns).group_by(base.c.g)


def postgres_rows(rows: list[Any]) -> tuple[dict[Any, int], dict[tuple[Any, str], Figures]]:
    jobs: dict[Any, int] = {}
    figures: dict[tuple[Any, str], Figures] = {}

    def numerators(values: list[float] | None) -> list[int | None]:
        if values is None:
            return [None] * len(FRACTIONS)
        return [round(v * den) for v, (_, den) in zip(values, FRACTIONS.values(), strict=True)]

    for row in rows:
        jobs[row["g"]] = int(row["jobs"])
        for m in MEASURES:
            median, p90 = numerators(row[f"{m}.pct"])
            median_clean, p90_clean = numerators(row[f"{m}.pct_clean"])
            figures[(row["g"], m)] = Figures(
                count=int(row[f"{m}.count"]),
                count_clean=int(row[f"{m}.count_clean"]),
                max=row[f"{m}.max"],
                max_clean=row[f"{m}.max_clean"],
                median=median,
                p90=p90,
                median_clean=median_clean,
                p90_clean=p90_clean,
            )
    return jobs, figures


# --- SQLite ---------------------------------------------------------------------------------------


def _ranks(n: Any) -> list[ColumnElement[Any]]:
    """The 1-based ranks every percentile in FRACTIONS reads: lo + 1 and lo + 2."""
    out: list[ColumnElement[Any]] = []
    for num, den in FRACTIONS.values():
        lo = (n - 1) * num // den
        out += [lo + 1, lo + 2]
    return out


def _sqlite_measure(base: CTE, m: str) -> Select[Any]:
    """(m, g, n, n_clean, max, max_clean, median, p90, median_clean, p90_clean) per group for one measure."""
    width = literal_column(str(BUCKET_US), BigInteger)
    value = base.c[m]
    rows = (
        select(base.c.g, base.c.f, value.label("v"), (value // width).label("b"))
        .where(value.isnot(None))
        .subquery(f"rows_{m}")
    )
    hist = (
        select(
            rows.c.g,
            rows.c.b,
            func.count().label("c"),
            func.sum(1 - rows.c.f).label("cu"),
            func.max(rows.c.v).label("mx"),
            func.max(case((rows.c.f == 0, rows.c.v))).label("mxu"),
        )
        .group_by(rows.c.g, rows.c.b)
        .cte(f"hist_{m}")
        .prefix_with("MATERIALIZED")
    )
    totals = (
        select(
            hist.c.g,
            cast(func.sum(hist.c.c), BigInteger).label("n"),
            cast(func.sum(hist.c.cu), BigInteger).label("nu"),
            func.max(hist.c.mx).label("mx"),
            func.max(hist.c.mxu).label("mxu"),
        )
        .group_by(hist.c.g)
        .cte(f"totals_{m}")
        .prefix_with("MATERIALIZED")
    )
    running: dict[str, Any] = {"partition_by": hist.c.g, "order_by": hist.c.b, "rows": (None, 0)}
    cum = select(
        hist.c.g,
        hist.c.b,
        hist.c.c,
        hist.c.cu,
        (func.sum(hist.c.c).over(**running) - hist.c.c).label("before"),
        (func.sum(hist.c.cu).over(**running) - hist.c.cu).label("before_u"),
    ).subquery(f"cum_{m}")
    holds = [and_(r > cum.c.before, r <= cum.c.before + cum.c.c) for r in _ranks(totals.c.n)]
    holds += [and_(r > cum.c.before_u, r <= cum.c.before_u + cum.c.cu) for r in _ranks(totals.c.nu)]
    targets = (
        select(cum.c.g, cum.c.b, cum.c.before, cum.c.before_u)
        .select_from(cum.join(totals, cum.c.g.is_not_distinct_from(totals.c.g)))
        .where(or_(*holds))
        .cte(f"targets_{m}")
        .prefix_with("MATERIALIZED")
    )
    within: dict[str, Any] = {
        "partition_by": [base.c.g, targets.c.b],
        "order_by": value,
        "rows": (None, 0),
    }
    ranked = (
        select(
            base.c.g,
            base.c.f,
            value.label("v"),
            (targets.c.before + func.row_number().over(**within)).label("rn"),
            (targets.c.before_u + func.sum(1 - base.c.f).over(**within)).label("ru"),
        )
        .select_from(
            base.join(
                targets, and_(base.c.g.is_not_distinct_from(targets.c.g), (value // width) == targets.c.b)
            )
        )
        .where(value.isnot(None))
        .subquery(f"ranked_{m}")
    )
    clean = ranked.c.f == 0
    picks: list[Any] = []
    for name, (num, den) in FRACTIONS.items():
        picks.append(interpolated_numerator(ranked.c.v, ranked.c.rn, totals.c.n, num, den).label(name))
    for name, (num, den) in FRACTIONS.items():
        picks.append(
            interpolated_numerator(ranked.c.v, ranked.c.ru, totals.c.nu, num, den, where=clean).label(
                f"{name}_clean"
            )
        )
    picked = (
        select(totals.c.g, *picks)
        .select_from(ranked.join(totals, ranked.c.g.is_not_distinct_from(totals.c.g)))
        .group_by(totals.c.g)
        .subquery(f"picked_{m}")
    )
    return select(
        literal_column(f"'{m}'").label("m"),
        totals.c.g,
        totals.c.n,
        totals.c.nu,
        totals.c.mx,
        totals.c.mxu,
        *(picked.c[name] for name in FRACTIONS),
        *(picked.c[f"{name}_clean"] for name in FRACTIONS),
    ).select_from(totals.outerjoin(picked, totals.c.g.is_not_distinct_from(picked.c.g)))


def sqlite_statement(base: CTE) -> CompoundSelect[Any]:
    """All measures as rows (m, g, ...), plus one ``jobs`` row per group with the job count in ``n``."""
    jobs = select(
        literal_column("'jobs'").label("m"),
        base.c.g,
        func.count().label("n"),
        *(null() for _ in range(3 + 2 * len(FRACTIONS))),
    ).group_by(base.c.g)
    return union_all(*(_sqlite_measure(base, m) for m in MEASURES), jobs)


def sqlite_rows(rows: list[Any]) -> tuple[dict[Any, int], dict[tuple[Any, str], Figures]]:
    jobs: dict[Any, int] = {}
    figures: dict[tuple[Any, str], Figures] = {}
    for row in rows:
        if row["m"] == "jobs":
            jobs[row["g"]] = int(row["n"])
            continue
        n, nu = int(row["n"]), int(row["nu"])
        figures[(row["g"], row["m"])] = Figures(
            count=n,
            count_clean=nu,
            max=row["mx"],
            max_clean=row["mxu"],
            median=row["median"] if n else None,
            p90=row["p90"] if n else None,
            median_clean=row["median_clean"] if nu else None,
            p90_clean=row["p90_clean"] if nu else None,
        )
    return jobs, figures
