"""The scan job: plan once, fan out symbol batches, gather (``docs/scans.md``).

Orchestration only. Every step talks to the store through
:mod:`optionsintel.services.scans`; steps pass small references (the run id and a
batch number), never frames, so the same graph runs in one process, on the
multiprocess executor (``scan_job``) or on Celery workers on other machines
(``scan_celery_job``, broker and queue in the run config's ``execution`` block).

A batch's symbols are recomputed from the stored plan (``batches(plan.symbols,
batch_size)[k]``), so a retried or resumed step evaluates exactly the symbols it was
given and skips those already DONE.
"""

import json
import time
from typing import Any

from dagster_celery import celery_executor
from pydantic import Field

from dagster import (
    Config,
    DynamicOut,
    DynamicOutput,
    GraphDefinition,
    JobDefinition,
    MetadataValue,
    OpExecutionContext,
    Output,
    graph,
    multiprocess_executor,
    op,
)
from dagster_project.resources import StoreResource
from optionsintel.scans import ScanSpec, batches
from optionsintel.services import saved_scans
from optionsintel.services import scans as scan_service
from optionsintel.store import scans as scan_repo

#: Symbols per fan-out step: a 5,000-symbol universe is 20 steps, not thousands.
DEFAULT_JOB_BATCH = 250
SCAN_TAG = "optionsintel/scan"


class ScanJobConfig(Config):
    """What to scan: a saved scan (``owner``/``saved_name``) or an explicit spec."""

    spec_json: str = Field(default="", description="ScanSpec JSON; empty = the saved scan.")
    owner: str = Field(default="", description="Owner of the saved scan to run.")
    saved_name: str = Field(default="", description="Name of the saved scan to run.")
    operation_id: str = Field(default="", description="Resume or attach to this run id.")
    name: str = Field(default="adhoc", description="Name stored with the results.")
    batch_size: int = Field(default=DEFAULT_JOB_BATCH, ge=1, le=20_000)


def _spec_and_name(config: ScanJobConfig, store: StoreResource) -> tuple[ScanSpec, str]:
    if config.saved_name:
        saved = saved_scans.load_saved_scan(store.get(), config.owner, config.saved_name)
        return saved.spec, saved.name
    return ScanSpec.from_json(json.loads(config.spec_json)), config.name


@op(out=DynamicOut(dict), description="Freeze the scan (bulk operation) and fan out batches.")
def plan_scan_batches(context: OpExecutionContext, config: ScanJobConfig, store: StoreResource):
    """Prepare the run once; one dynamic output (a reference) per pending batch."""
    spec, name = _spec_and_name(config, store)
    plan = scan_service.prepare_scan(store.get(), spec, operation_id=config.operation_id or None,
                                     name=name, requested_by=config.owner or None)  # fmt: skip
    parts = batches(plan.symbols, config.batch_size)
    context.log.info(f"scan {plan.run_id}: {len(plan.symbols)} symbols in {len(parts)} batches "
                     f"({plan.provider}, bar {plan.at})")  # fmt: skip
    meta: dict[str, Any] = {
        "operation_id": plan.run_id, "universe": len(plan.symbols), "batches": len(parts),
        "unknown": len(plan.unknown), "provider": plan.provider,
    }  # fmt: skip
    for k in range(max(len(parts), 1)):  # an empty universe still reaches the gather step
        ref = {"run_id": plan.run_id, "batch": k, "batch_size": config.batch_size}
        size = len(parts[k]) if parts else 0
        yield DynamicOutput(ref, mapping_key=f"b{k:05d}", metadata={**meta, "symbols": size})


@op(description="Evaluate one batch of symbols and store its matches.")
def scan_symbol_batch(context: OpExecutionContext, store: StoreResource, ref: dict) -> Output:
    """Evaluate batch ``ref['batch']`` of the run; progress is the operation's record."""
    plan = scan_service.load_plan(store.get(), ref["run_id"])
    parts = batches(plan.symbols, ref["batch_size"])
    symbols = parts[ref["batch"]] if ref["batch"] < len(parts) else []
    t0 = time.perf_counter()
    status = scan_service.run_scan_batch(store.get(), ref["run_id"], symbols)
    seconds = time.perf_counter() - t0
    return Output({**ref, "seconds": seconds}, metadata={
        "operation_id": ref["run_id"], "symbols": len(symbols), "seconds": round(seconds, 3),
        "progress": f"{status.done + status.failed}/{status.total}",
        "fraction_finished": round(status.fraction, 4), "operation_status": status.status,
    })  # fmt: skip


@op(description="Close the run: final status, summary, matches preview.")
def gather_scan_results(
    context: OpExecutionContext, config: ScanJobConfig, store: StoreResource, refs: list[dict]
) -> Output:
    """Finish the operation and show the run's matches in the Dagster UI."""
    run_id = refs[0]["run_id"]
    timing = {"batches_total": sum(r["seconds"] for r in refs)}
    run = scan_service.finish_scan(store.get(), run_id, timing=timing)
    if config.saved_name:
        scan_repo.set_last_run(store.get(), config.owner, config.saved_name, run_id)
    top = scan_service.read_scan_results(store.get(), run_id).head(20)
    status = run.status
    wall = (status.finished_at - status.created_at).total_seconds() if status.finished_at else None
    return Output(run_id, metadata={
        "operation_id": run_id, "status": status.status, "matches": status.summary.get("matches"),
        "done": status.done, "failed": status.failed, "total": status.total,
        "wall_seconds": wall, "batch_seconds_total": round(timing["batches_total"], 3),
        "provider": run.plan.provider, "bar": run.plan.at,
        "top_matches": MetadataValue.md(_preview(top)),
    })  # fmt: skip


def _preview(frame: Any) -> str:
    if frame.empty:
        return "_no matches_"
    cols = [c for c in ("rank", "symbol", "score", "close", "change_pct", "explanation")
            if c in frame.columns]  # fmt: skip
    head = "| " + " | ".join(cols) + " |\n|" + "---|" * len(cols) + "\n"
    return head + "\n".join(
        "| " + " | ".join(str(v).replace("|", "/")[:80] for v in row) + " |"
        for row in frame[cols].itertuples(index=False)
    )


@graph(description="Scan a universe: plan, fan out symbol batches, gather.")
def scan_graph() -> None:
    """Plan → batches (dynamic) → gather."""
    gather_scan_results(plan_scan_batches().map(scan_symbol_batch).collect())


_scan_graph: GraphDefinition = scan_graph

#: The scan on Dagster's multiprocess executor (one process per step on this machine).
scan_job = _scan_graph.to_job(
    name="scan_job", executor_def=multiprocess_executor, tags={SCAN_TAG: "multiprocess"},
    resource_defs={"store": StoreResource()},
    description="A scan fanned out in symbol batches over local processes.",
)  # fmt: skip

#: The same graph on Celery workers (dagster-celery; broker/queue in the run config).
scan_celery_job = _scan_graph.to_job(
    name="scan_celery_job", executor_def=celery_executor, tags={SCAN_TAG: "celery"},
    resource_defs={"store": StoreResource()},
    description="A scan fanned out in symbol batches over Celery workers (RabbitMQ broker).",
)  # fmt: skip


def scan_job_target() -> JobDefinition:
    """``scan_job`` for :func:`dagster.reconstructable` (``execute_job`` outside a location)."""
    return scan_job


def scan_celery_job_target() -> JobDefinition:
    """``scan_celery_job`` for :func:`dagster.reconstructable` (workers rebuild it by name)."""
    return scan_celery_job


def scan_run_config(
    spec: ScanSpec | None = None,
    *,
    owner: str = "",
    saved_name: str = "",
    operation_id: str = "",
    name: str = "adhoc",
    batch_size: int = DEFAULT_JOB_BATCH,
    database_url: str = "",
    execution: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The run config of ``scan_job``/``scan_celery_job`` (CLI, schedules, tests)."""
    cfg = {"spec_json": json.dumps(spec.to_json()) if spec is not None else "", "owner": owner,
           "saved_name": saved_name, "operation_id": operation_id, "name": name,
           "batch_size": batch_size}  # fmt: skip
    ops = {n: {"config": cfg} for n in ("plan_scan_batches", "gather_scan_results")}
    run_config: dict[str, Any] = {"ops": ops}
    if database_url:
        run_config["resources"] = {"store": {"config": {"database_url": database_url}}}
    if execution is not None:
        run_config["execution"] = {"config": execution}
    return run_config


def celery_execution_config(broker: str, queue: str, backend: str = "rpc://") -> dict[str, Any]:
    """The ``execution`` block routing every step to Celery ``queue`` on ``broker``.

    Workers must listen on the same queue (``celery -A dagster_celery.app worker -Q
    queue``); see ``docs/orchestration.md`` ("Scans: one machine to a cluster").
    """
    return {"broker": broker, "backend": backend,
            "config_source": {"task_default_queue": queue}}  # fmt: skip


SCAN_JOBS = [scan_job, scan_celery_job]
