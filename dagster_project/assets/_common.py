"""Helpers shared by the asset adapters: partition day, store reads, metadata."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pandas as pd

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue
from optionsintel.calendar import session_bounds
from optionsintel.store.bulk import MergeResult


def partition_day(context: AssetExecutionContext) -> dt.date:
    """The trading day of the run's partition."""
    return dt.date.fromisoformat(context.partition_key)


def session_window(day: dt.date) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Open and close of ``day`` (UTC)."""
    return session_bounds(day, tz="UTC")


def markdown_preview(frame: pd.DataFrame, rows: int = 5, max_cols: int = 10) -> str:
    """A small markdown table of the first rows (no tabulate needed)."""
    if frame is None or frame.empty:
        return "_no rows_"
    head = frame.iloc[:rows, :max_cols]
    lines = ["| " + " | ".join(map(str, head.columns)) + " |", "|" + "---|" * len(head.columns)]
    lines += [
        "| " + " | ".join(str(v).replace("|", "/")[:40] for v in row) + " |"
        for row in head.to_numpy()
    ]
    return "\n".join(lines)


def written_metadata(frame: pd.DataFrame, result: MergeResult | None, **extra: object) -> dict:
    """Row counts, merge outcome and a preview for a ``MaterializeResult``."""
    meta: dict[str, object] = {
        "dagster/row_count": len(frame),
        "preview": MetadataValue.md(markdown_preview(frame)),
    }
    if result is not None:
        meta.update(inserted=result.inserted, updated=result.updated, unchanged=result.unchanged)
    meta.update({k: v for k, v in extra.items() if v is not None})
    return meta


def result_for(
    key: str | None, frame: pd.DataFrame, result: MergeResult | None, **extra: object
) -> MaterializeResult:
    """A ``MaterializeResult`` with :func:`written_metadata`."""
    return MaterializeResult(asset_key=key, metadata=written_metadata(frame, result, **extra))


def results_for(
    frames: Mapping[str, pd.DataFrame], results: Mapping[str, MergeResult]
) -> list[MaterializeResult]:
    """One result per table written by a multi-asset."""
    return [result_for(name, frames[name], results[name]) for name in frames]
