"""docker-compose.yml follows the Compose Specification and has the production shape."""

from __future__ import annotations

import json
import re
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
    assert services["web"]["command"][:2] == ["tender-radar", "serve"]
    secrets = {s["environment"]["AIRFLOW__API_AUTH__JWT_SECRET"] for s in workers.values()}
    assert secrets == {"${AIRFLOW_JWT_SECRET:?set AIRFLOW_JWT_SECRET}"}  # one shared secret, from the environment
    text = (PROJECT / "docker-compose.yml").read_text()
    assert not re.search(r"(PASSWORD|SECRET|KEY)\s*:\s*[\"']?(?!\$\{)[A-Za-z0-9]", text), "a literal secret in the file"
    assert services["airflow-worker"]["command"] == "celery worker"
