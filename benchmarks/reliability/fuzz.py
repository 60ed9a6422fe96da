"""API fuzzing: schemathesis generates requests from the service's own OpenAPI spec, for every operation,
and sends them over HTTP to the app served by uvicorn on loopback, with an admin's token. The one property
checked is the one that matters here: no request, however malformed, gets a 500.

Each operation is fuzzed twice: with its path ids pointing at real stored things (a project with a document,
units and a reviewer), so that generated bodies reach the handlers' logic rather than stopping at a 404; and
with generated ids. Both positive (schema-valid) and negative (schema-violating) data are sent.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path

import httpx
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from api import Settings, create_app
from autocoder.pipeline import DEFAULT_MODEL

from .server import add_admin, served_in_thread
from .soak import REPORT


def _seed_project(client: httpx.Client, token: str) -> dict[str, object]:
    """A project with a document, its units and a reviewer: real ids for the path parameters."""
    auth = {"Authorization": f"Bearer {token}"}
    project = client.post("/projects", json={"name": "fuzzed"}, headers=auth).json()
    client.post(f"/projects/{project['id']}/documents", files={"file": ("report.md", REPORT.format(n=1).encode())},
                headers=auth)
    unit = client.get(f"/projects/{project['id']}/units", headers=auth).json()["items"][0]
    reviewer = client.post("/users", json={"name": "fuzz-reviewer", "role": "reviewer"}, headers=auth).json()
    job = client.post(f"/projects/{project['id']}/models", headers=auth).json()
    return {"project_id": project["id"], "document_id": unit["document_id"], "unit_id": unit["id"],
            "user_id": reviewer["id"], "job_id": job["id"]}


def run(max_examples: int = 10, model_dir: Path = DEFAULT_MODEL, data_dir: Path | None = None,
        database_url: str | None = None, random_seed: int = 0) -> dict:
    """Fuzz every operation against a fresh service on `database_url` (None: SQLite); returns the number of
    requests sent, the 500s (with a curl command to reproduce each) and the status codes seen."""
    with tempfile.TemporaryDirectory(prefix="autocoder-fuzz-") as scratch:
        app_settings = Settings(data_dir=data_dir or Path(scratch), database_url=database_url, model_dir=model_dir)
        app = create_app(app_settings)
        token = add_admin(app, "fuzz-admin")
        statuses: Counter[int] = Counter()
        server_errors: list[str] = []
        unsatisfiable: list[str] = []
        operations = 0
        with served_in_thread(app) as base_url, httpx.Client(base_url=base_url, timeout=60) as client, \
                requests.Session() as http:
            http.headers["Authorization"] = f"Bearer {token}"
            real_ids = _seed_project(client, token)
            schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
            for result in schema.get_all_operations():
                operation = result.ok()
                operations += 1
                names = {p.name for p in operation.path_parameters}
                fixed = {name: value for name, value in real_ids.items() if name in names}
                for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                    for path_parameters in ({**fixed}, {}) if fixed else ({},):
                        strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters or None)

                        @seed(random_seed)
                        @settings(max_examples=max_examples, deadline=None, database=None, derandomize=True,
                                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
                        @given(case=strategy)
                        def send(case):
                            response = case.call(base_url=base_url, session=http, timeout=60)
                            statuses[response.status_code] += 1
                            if response.status_code >= 500:
                                server_errors.append(case.as_curl_command())

                        try:
                            send()
                        except Unsatisfiable:
                            # Nothing in this operation can be made invalid (no parameters, no body).
                            unsatisfiable.append(f"{operation.label} ({mode.value})")
        return {"backend": "postgresql" if database_url else "sqlite", "operations": operations,
                "cases": sum(statuses.values()), "server_errors": len(server_errors),
                "examples_per_operation_and_mode": max_examples,
                "statuses": {str(code): count for code, count in sorted(statuses.items())},
                "not_generated": unsatisfiable, "reproduce": server_errors[:20]}
