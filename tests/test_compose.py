"""docker-compose.yml follows the Compose Specification and has the production shape."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from .conftest import FIXTURES, PROJECT


def compose() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((PROJECT / "docker-compose.yml").read_text())  # anchors, merge keys
    return doc


def test_the_compose_file_validates_against_the_compose_specification() -> None:
    schema = json.loads((FIXTURES / "compose-spec" / "compose-spec.json").read_text())
    errors = [
        f"{'/'.join(map(str, e.path))}: {e.message}"
        for e in jsonschema.Draft201909Validator(schema).iter_errors(compose())
    ]
    assert errors == []
    broken = compose()
    broken["services"]["redis"]["restart"] = ["always"]
    broken["services"]["redis"]["healthcheck"]["interval"] = 10
    assert len(list(jsonschema.Draft201909Validator(schema).iter_errors(broken))) == 2  # the check has teeth


def test_airflow_3_production_shape_with_secrets_from_the_environment() -> None:
    doc = compose()
    services = doc["services"]
    for name in ("postgres", "redis", "airflow-init", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
                 "airflow-triggerer", "airflow-worker", "web", "mailpit"):  # fmt: skip
        assert name in services, name
    workers = {n: s for n, s in services.items() if n.startswith("airflow-") and n != "airflow-init"}
    assert services["web"]["command"][:2] == ["bash", "-c"]
    secrets = {s["environment"]["AIRFLOW__API_AUTH__JWT_SECRET"] for s in workers.values()}
    assert secrets == {"${AIRFLOW_JWT_SECRET:?set AIRFLOW_JWT_SECRET}"}  # one shared secret, from the environment
    text = (PROJECT / "docker-compose.yml").read_text()
    assert not re.search(r"(PASSWORD|SECRET|KEY)\s*:\s*[\"']?(?!\$\{)[A-Za-z0-9]", text), "a literal secret in the file"
    assert services["airflow-worker"]["command"] == "celery worker"


# The image's entrypoint (apache/airflow's /entrypoint): a command starting with `bash` or `python`
# runs as given, a leading `airflow` is dropped, and everything else becomes `airflow <command>`.
PASSED_THROUGH = ("bash", "python")


def effective_command(command: str | list[str]) -> list[str]:
    """What the container runs for a service's `command` (a string is split like a shell would)."""
    argv = shlex.split(command) if isinstance(command, str) else list(command)
    if argv and argv[0] in PASSED_THROUGH:
        return argv
    if argv and argv[0] == "airflow":
        argv = argv[1:]
    return ["airflow", *argv]


PARSE_AIRFLOW_COMMANDS = """
import json, sys
from airflow.cli.cli_parser import get_parser

parser = get_parser()
bad = {}
for name, argv in json.loads(sys.argv[1]).items():
    try:
        parser.parse_args(argv)
    except SystemExit:
        bad[name] = argv
print(json.dumps(bad))
"""


def refused_by_airflow(commands: dict[str, list[str]]) -> dict[str, list[str]]:
    """The commands that Airflow's own command line (with the Celery executor) rejects."""
    env = {**os.environ, "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor", "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
    done = subprocess.run(
        [sys.executable, "-c", PARSE_AIRFLOW_COMMANDS, json.dumps(commands)],
        env=env, capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    bad: dict[str, list[str]] = json.loads(done.stdout.strip().splitlines()[-1])
    return bad


def image_services(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n: s for n, s in doc["services"].items() if s.get("image") == "social-tender-radar:latest"}


def test_every_service_command_survives_the_image_entrypoint() -> None:
    services = image_services(compose())
    assert len(services) == 7  # init, api-server, scheduler, dag-processor, triggerer, worker, web
    rendered = {name: effective_command(s["command"]) for name, s in services.items()}
    to_airflow = {name: argv[1:] for name, argv in rendered.items() if argv[0] == "airflow"}
    assert set(to_airflow) == set(services) - {"web"}
    # The first version's web command went to the entrypoint as `airflow tender-radar serve ...`.
    old_web = effective_command(["tender-radar", "serve", "--host", "0.0.0.0", "--port", "8000"])
    assert old_web[:2] == ["airflow", "tender-radar"]
    assert refused_by_airflow({**to_airflow, "old-web": old_web[1:]}) == {"old-web": old_web[1:]}

    # What is not an airflow command runs the project's own command line.
    web = rendered["web"]
    assert web[:2] == ["bash", "-c"]
    program, subcommand, *_ = shlex.split(web[2].removeprefix("exec "))
    scripts = tomllib.loads((PROJECT / "pyproject.toml").read_text())["project"]["scripts"]
    assert program in scripts
    done = subprocess.run([str(Path(sys.executable).parent / program), subcommand, "--help"], capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_components_share_their_secrets_and_the_dags_start_unpaused() -> None:
    services = image_services(compose())
    for key, variable in (("AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW_JWT_SECRET"),
                          ("AIRFLOW__API__SECRET_KEY", "AIRFLOW_API_SECRET_KEY"),
                          ("AIRFLOW__CORE__FERNET_KEY", "AIRFLOW_FERNET_KEY")):  # fmt: skip
        assert {s["environment"][key] for s in services.values()} == {f"${{{variable}:?set {variable}}}"}, key
    assert {s["environment"]["AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION"] for s in services.values()} == {"false"}
    # The admin password is kept where docs/operations.md says to read it: in the shared var volume.
    passwords = services["airflow-apiserver"]["environment"]["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"]
    assert passwords.startswith("/opt/tender-radar/var/")
    assert passwords in (PROJECT / "docs" / "operations.md").read_text()


def test_mailpit_catches_the_mail_in_the_development_profile() -> None:
    services = compose()["services"]
    assert services["mailpit"]["profiles"] == ["dev"]
    smtp = services["airflow-worker"]["environment"]["TENDER_RADAR_SMTP_URL"]
    assert smtp == "${TENDER_RADAR_SMTP_URL:-smtp://mailpit:1025}"
    assert "1025:1025" in services["mailpit"]["ports"]


def test_the_image_makes_the_var_volume_writable_by_airflow() -> None:
    # A named volume copies the ownership of the folder it is mounted on; var/ is not in the build
    # context, so the image must make it, owned by airflow, or the outbox is root's.
    assert "var" in (PROJECT / ".dockerignore").read_text().split()
    dockerfile = (PROJECT / "Dockerfile").read_text()
    volume = next(v for v in compose()["x-airflow"]["volumes"] if v.startswith("radar-var:"))
    mounted = volume.split(":", 1)[1]
    assert re.search(rf"mkdir -p {re.escape(mounted)}/outbox", dockerfile)
    assert re.search(rf"chown -R airflow:root {re.escape(mounted)}\b", dockerfile)
