"""Fixtures of the server tests (the server itself: serve_helpers.py).

- ``sample_server``: the bundled project on DuckDB, with a full-access token
  (METRICS_SERVE_TOKEN) and a tokens file of one limited token;
- ``project_copy``: the project and its data copied into a temporary folder, so a test can
  edit definitions and data under a server of its own.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from serve_helpers import FULL_TOKEN, LIMITED, LIMITED_TOKEN, Server
from support import DATA_DIR, PROJECT_DIR


@pytest.fixture(scope="session")
def tokens_file(tmp_path_factory) -> Path:
    import yaml

    path = tmp_path_factory.mktemp("serve") / "tokens.yml"
    path.write_text(yaml.safe_dump({"tokens": [LIMITED]}))
    return path


@pytest.fixture(scope="session")
def sample_server(tokens_file, tmp_path_factory):
    server = Server(["--project", str(PROJECT_DIR), "--tokens", str(tokens_file)],
                    env={"METRICS_SERVE_TOKEN": FULL_TOKEN, "TEST_LIMITED_TOKEN": LIMITED_TOKEN},
                    log=tmp_path_factory.mktemp("serve-log") / "server.log")
    yield server
    server.stop()


@pytest.fixture
def project_copy(tmp_path) -> Path:
    """metrics/ and examples/data/ side by side in tmp_path, as in the repository (the
    project reads ../examples/data)."""
    shutil.copytree(PROJECT_DIR, tmp_path / "metrics")
    shutil.copytree(DATA_DIR, tmp_path / "examples" / "data")
    return tmp_path / "metrics"
