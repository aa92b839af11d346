"""The coverage section of ``optionsintel db status``: days held and gaps per data set."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console

    from optionsintel.store import Store

#: Missing days listed by name; beyond that only the count and the first few.
_SHOWN = 5


def coverage_lines(coverage: pd.DataFrame) -> list[str]:
    """Lines of the coverage table (one per data set and provider), for the console."""
    if coverage.empty:
        return ["coverage : no market data stored yet"]
    lines = ["coverage : days held per data set and provider (gaps = missing trading days)"]
    for row in coverage.itertuples(index=False):
        span = f"{row.first_day} .. {row.last_day}"
        line = f"  {row.dataset:<26} {row.provider:<10} {span:<24} {row.days:>5} days"
        if row.missing:
            shown = ", ".join(str(d) for d in row.missing_days[:_SHOWN])
            more = f", ... (+{row.missing - _SHOWN})" if row.missing > _SHOWN else ""
            line += f"  {row.missing} missing: {shown}{more}"
        else:
            line += "  no gaps"
        lines.append(line)
    return lines


def print_coverage(store: Store, console: Console) -> None:
    """Print the coverage table on ``console`` (one line per row: never wrapped, no markup)."""
    from optionsintel.services.coverage import data_coverage

    for line in coverage_lines(data_coverage(store)):
        console.print(line, soft_wrap=True, markup=False, highlight=False)
