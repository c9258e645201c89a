"""Running the project's DAGs in a real Airflow for the tests: the environment of an Airflow home
under tmp, Python run in it, a free port for an api-server, `airflow standalone` started and
stopped, and a small client of its REST API."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Generator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent.parent


def airflow_env(tmp_path: Path) -> dict[str, str]:
    """Airflow on SQLite under tmp_path with the project's DAGs and bundled samples (expired ones included)."""
    home = tmp_path / "airflow"
    home.mkdir(exist_ok=True)
    return {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "TENDER_RADAR_HOME": str(tmp_path / "radar"),
        "TENDER_RADAR_SOURCES": str(PROJECT / "sources.yaml"),
        "TENDER_RADAR_SUBSCRIBERS": str(PROJECT / "subscribers.yaml"),
        "TENDER_RADAR_INCLUDE_EXPIRED": "1",
    }


def python(code: str, env: dict[str, str], timeout: int = 300) -> subprocess.CompletedProcess[str]:
    """The code run by this venv's Python in the project folder, with env."""
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=PROJECT, capture_output=True, text=True,
                          timeout=timeout)  # fmt: skip


def free_port() -> int:
    """A loopback port free just now, for a server in another process (which binds it itself)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait(what: str, check: Callable[[], Any], timeout: float = 300) -> Any:
    """What ``check`` returns once it is truthy, asked every 2 s; errors of a server still starting count as no."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            found = check()
        except (OSError, KeyError, ValueError):
            found = None
        if found:
            return found
        time.sleep(2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@contextmanager
def standalone_airflow(
    tmp_path: Path, folder: Path, *, paused: bool, env: dict[str, str] | None = None
) -> Generator[Airflow]:
    """`airflow standalone` on SQLite under tmp_path with the project's DAGs and plugins and the radar
    home ``folder`` (its sources.yaml); ``paused``: the DAGs as they are parsed. Yields a client with
    its token once the api-server answers; stops the whole process group after."""
    port = free_port()
    home = tmp_path / "airflow"
    home.mkdir()
    environment = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",  # standalone runs `airflow`
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": str(paused),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
        "TENDER_RADAR_HOME": str(folder),
        "TENDER_RADAR_SOURCES": str(folder / "sources.yaml"),
        "TENDER_RADAR_SUBSCRIBERS": str(PROJECT / "subscribers.yaml"),
        **(env or {}),
    }
    log = (tmp_path / "standalone.log").open("w")
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "airflow"), "standalone"],
        env=environment, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    airflow = Airflow(f"http://127.0.0.1:{port}")
    try:
        airflow.wait("the api-server", lambda: airflow.call("GET", "/api/v2/monitor/health"), timeout=240)
        airflow.token = airflow.call("GET", "/auth/token")["access_token"]
        yield airflow
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


class Airflow:
    """A client of a running Airflow's REST API (api/v2), with the token once it is set."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.token = ""

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        request = urllib.request.Request(
            f"{self.base}{path}",
            data=json.dumps(body).encode() if body is not None else None,
            method=method,
            headers={
                "Content-Type": "application/json",
                **({"Authorization": f"Bearer {self.token}"} if self.token else {}),
            },
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")

    def runs(self, dag_id: str) -> list[dict[str, Any]]:
        return list(self.call("GET", f"/api/v2/dags/{dag_id}/dagRuns?order_by=run_after")["dag_runs"])

    def wait(self, what: str, check: Any, timeout: float = 300) -> Any:
        return wait(what, check, timeout)
