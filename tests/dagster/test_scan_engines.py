"""The same scan job on the multiprocess executor and on Celery (RabbitMQ, two workers).

End to end: a Dagster instance on PostgreSQL (its own schema, dropped afterwards), the
real broker at 127.0.0.1:5672, two Celery workers this test starts on a queue of its own
and always stops; the stored matches equal the in-process scan's.
"""

import os
from pathlib import Path

import pandas as pd
import pytest
from dagster_project.celery_workers import BROKER, local_celery_workers
from dagster_project.scan_jobs import (
    celery_execution_config,
    scan_celery_job_target,
    scan_job_target,
    scan_run_config,
)

from conftest import SCAN_SYMBOLS, comparable
from dagster import DagsterInstance, execute_job, reconstructable
from dagster_homes import dagster_home_on_schema
from optionsintel.services import bulk, scans

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def dagster_home(tmp_path_factory, database_url):
    """A DAGSTER_HOME whose runs and event logs live in a fresh PostgreSQL schema."""
    with dagster_home_on_schema(
        database_url, tmp_path_factory.mktemp("dagster_home"), "dagster_e2e"
    ) as home:
        yield home


def _execute(job, home: Path, run_config: dict) -> tuple[bool, str | None, list]:
    with (
        DagsterInstance.from_config(str(home)) as instance,
        execute_job(reconstructable(job), instance=instance, run_config=run_config) as res,
    ):
        run_id = res.output_for_node("gather_scan_results") if res.success else None
        return res.success, run_id, list(instance.all_logs(res.run_id))


def _workers_env(home: Path) -> dict[str, str]:
    path = os.pathsep.join([str(ROOT / "src"), str(ROOT), os.environ.get("PYTHONPATH", "")])
    return {**os.environ, "PYTHONPATH": path, "DAGSTER_HOME": str(home)}


def _assert_same_as_in_process(store, spec, run_id):
    reference = scans.run_scan(store, spec)
    want = scans.read_scan_results(store, reference.run_id)
    got = scans.read_scan_results(store, run_id)
    assert len(want) > 0
    pd.testing.assert_frame_equal(comparable(got), comparable(want))
    status = bulk.read_operation(store, run_id)
    assert (status.status, status.done, status.failed) == ("SUCCEEDED", len(SCAN_SYMBOLS), 0)


def test_multiprocess_executor_gets_the_in_process_results(
    dagster_home, store_resource, scan_universe
):
    config = scan_run_config(scan_universe, batch_size=16, database_url=store_resource.database_url)
    ok, run_id, logs = _execute(scan_job_target, dagster_home, config)
    assert ok, [e.message for e in logs if e.is_error][-3:]
    pids = {
        e.dagster_event.pid
        for e in logs
        if e.dagster_event is not None
        and e.dagster_event.event_type_value == "STEP_START"
        and (e.step_key or "").startswith("scan_symbol_batch")
    }
    assert len(pids) >= 2 and os.getpid() not in pids  # steps ran in their own processes
    _assert_same_as_in_process(store_resource.get(), scan_universe, run_id)


def test_celery_two_workers_get_the_in_process_results(
    dagster_home, store_resource, scan_universe, tmp_path
):
    with local_celery_workers(2, env=_workers_env(dagster_home), log_dir=tmp_path) as workers:
        execution = celery_execution_config(BROKER, workers.queue)
        config = scan_run_config(scan_universe, batch_size=8, execution=execution,
                                 database_url=store_resource.database_url)  # fmt: skip
        ok, run_id, logs = _execute(scan_celery_job_target, dagster_home, config)
        assert ok, [e.message for e in logs if e.is_error][-3:]
        procs = list(workers.processes)
    assert all(p.poll() is not None for p in procs)  # stopped, no orphans
    hosts = {
        e.dagster_event.event_specific_data.metadata["Celery worker"].value
        for e in logs
        if e.dagster_event is not None
        and e.dagster_event.event_type_value == "ENGINE_EVENT"
        and "Celery worker" in (e.dagster_event.event_specific_data.metadata or {})
    }
    assert hosts == set(workers.names)  # both workers ran steps
    _assert_same_as_in_process(store_resource.get(), scan_universe, run_id)


def test_workers_are_stopped_when_the_body_fails(dagster_home, tmp_path):
    env = _workers_env(dagster_home)
    with (
        pytest.raises(RuntimeError, match="boom"),
        local_celery_workers(2, env=env, log_dir=tmp_path) as workers,
    ):
        procs = list(workers.processes)
        raise RuntimeError("boom")
    assert all(p.poll() is not None for p in procs)
