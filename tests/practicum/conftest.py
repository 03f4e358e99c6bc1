from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from extender.db import session_factory, unit_of_work
from extender.practicum.models import Workspace
from tests.conftest import World, login


@pytest.fixture
def workspace(engine: Engine, world: World) -> str:
    """An empty sandbox owned by the world's learner."""
    with unit_of_work(session_factory(engine)) as s:
        ws = Workspace(owner_id=world.users["learner"].id, name="Empty sandbox")
        s.add(ws)
        s.flush()
        return ws.id


@pytest.fixture
def learner_api(client: TestClient, world: World) -> TestClient:
    """The learner's client, authenticated by an API token (no CSRF needed)."""
    csrf = login(client, "learner@example.org")
    page = client.post("/account/tokens", data={"name": "fhir", "csrf_token": csrf}).text
    match = re.search(r'<pre id="new-token">([^<]+)</pre>', page)
    assert match
    api = TestClient(client.app)
    api.headers["Authorization"] = f"Bearer {match.group(1)}"
    return api
