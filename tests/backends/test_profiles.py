"""Profiles (named targets, a default), one-off connection URLs, and secrets that never show."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import yaml

from sales_metrics import adapters
from sales_metrics import engine
from sales_metrics.adapters import secrets
from sales_metrics.adapters.profiles import resolve_target, settings_from_url
from support import DATA_DIR, ROOT, run_cli

EXAMPLE = ROOT / "examples" / "profiles.yml"


def write_profiles(folder: Path, outputs: dict, target: str | None = "dev",
                   name: str = "acme_sales") -> Path:
    profile = {"outputs": outputs} | ({"target": target} if target else {})
    (folder / "profiles.yml").write_text(yaml.safe_dump({name: profile}))
    return folder


def test_the_example_profiles_file_resolves_every_target(project, monkeypatch):
    monkeypatch.delenv("METRICS_PROFILES_DIR", raising=False)
    outputs = yaml.safe_load(EXAMPLE.read_text())["acme_sales"]["outputs"]
    for name in outputs:
        chosen = resolve_target(project, target=name, profiles_dir=EXAMPLE.parent)
        assert chosen.name == name and chosen.origin == str(EXAMPLE)
    default = resolve_target(project, profiles_dir=EXAMPLE.parent)
    assert default.name == "local"
    with adapters.connect(project, profiles_dir=EXAMPLE.parent) as conn:  # runs as is
        assert conn.execute("SELECT count(*) AS n FROM reps").column("n")[0].as_py() > 0


def test_without_profiles_the_project_connection_is_used(project, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("METRICS_PROFILES_DIR", raising=False)
    monkeypatch.delenv("METRICS_TARGET", raising=False)
    chosen = resolve_target(project)
    assert chosen.name == "project" and chosen.kind == "duckdb"
    with pytest.raises(engine.UsageError, match="--target 'prod': no profiles.yml found"):
        resolve_target(project, target="prod")


def test_unknown_target_suggests_the_close_one(project, tmp_path):
    write_profiles(tmp_path, {"dev": {"type": "duckdb"}, "prod": {"type": "postgres"}})
    with pytest.raises(engine.UsageError, match="target 'prd' is not in .*did you mean 'prod'"):
        resolve_target(project, target="prd", profiles_dir=tmp_path)
    with pytest.raises(engine.UsageError, match="no profiles.yml in"):
        resolve_target(project, profiles_dir=tmp_path / "nowhere")


def test_profile_is_chosen_by_the_project_name(project, tmp_path):
    write_profiles(tmp_path, {"dev": {"type": "duckdb"}}, name="other_project")
    assert resolve_target(project, profiles_dir=tmp_path).name == "project"
    with pytest.raises(engine.UsageError, match="no profile 'acme_sales'"):
        resolve_target(project, target="dev", profiles_dir=tmp_path)


@pytest.mark.parametrize("url, settings", [
    ("duckdb:///:memory:", {"type": "duckdb", "database": ":memory:"}),
    ("duckdb:////abs/crm.duckdb", {"type": "duckdb", "database": "/abs/crm.duckdb"}),
    ("postgresql://u@h:5432/db", {"type": "postgres", "url": "postgresql://u@h:5432/db"}),
    ("postgres://u@h/db", {"type": "postgres", "url": "postgres://u@h/db"}),
    ("sc://spark-host:15002", {"type": "spark", "remote": "sc://spark-host:15002"}),
    ("local[2]", {"type": "spark", "master": "local[2]"}),
    ("snowflake://u@acct/db", {"type": "snowflake", "url": "snowflake://u@acct/db"}),
    ("snowflake+x://u@acct/db", {"type": "sqlalchemy", "url": "snowflake+x://u@acct/db"}),
    ("postgresql+psycopg://u@h/db", {"type": "sqlalchemy", "url": "postgresql+psycopg://u@h/db"}),
])
def test_connection_urls(url, settings):
    assert settings_from_url(url) == settings


def test_relative_duckdb_url_is_relative_to_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert settings_from_url("duckdb:///crm.duckdb")["database"] == str(tmp_path / "crm.duckdb")


def test_env_var_secrets_are_masked_everywhere(project, tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("PG_SECRET_PW", "pa55-w0rd-xyz")
    write_profiles(tmp_path, {"dev": {
        "type": "postgres", "host": "127.0.0.1", "port": 1, "user": "analyst",
        "password": "{{ env_var('PG_SECRET_PW') }}", "dbname": "crm"}})
    caplog.set_level(logging.INFO, logger="metrics")
    logging.getLogger("metrics").addFilter(filt := secrets.MaskingFilter())
    try:
        with pytest.raises(engine.AdapterError) as raised:
            adapters.connect(project, profiles_dir=tmp_path, connect_timeout=2)
    finally:
        logging.getLogger("metrics").removeFilter(filt)
    text = str(raised.value)
    assert "pa55-w0rd-xyz" not in text and "target 'dev'" in text and "\n" not in text
    assert "pa55-w0rd-xyz" not in caplog.text and "password=****" in caplog.text


def test_mask_patterns():
    secrets.register("registered-secret")
    assert secrets.mask("x registered-secret y") == "x **** y"
    assert secrets.mask("postgresql://bob:pw12@h/db") == "postgresql://bob:****@h/db"
    assert secrets.mask("host=h password=hunter2 user=u") == "host=h password=**** user=u"
    assert secrets.mask("sc://h:443/;token=abc123;x=1") == "sc://h:443/;token=****;x=1"


def test_duckdb_file_target_with_schema(project, tmp_path):
    """A DuckDB file seeded into a schema is read through `schema:` (read-only)."""
    from sales_metrics.adapters.duckdb import DuckDBAdapter
    from sales_metrics.adapters.seed import seed

    path = tmp_path / "crm.duckdb"
    with DuckDBAdapter(database=str(path), writable=True) as writer:
        assert seed(writer, DATA_DIR, "sample") == sorted(p.stem for p in DATA_DIR.glob("*.parquet"))
    settings = {"type": "duckdb", "database": str(path), "schema": "sample"}
    with adapters.connect(project, settings) as conn:
        table = project.query(["win_rate"], connection=conn, grain="quarter")
        assert table.num_rows > 0
        with pytest.raises(Exception, match="read-only|only a single SELECT"):
            conn.execute("CREATE TABLE x AS SELECT 1")


@pytest.mark.clickhouse
def test_the_example_chdb_target_runs_as_is():
    """ClickHouse embedded, reading the sample Parquet files in place: the same CSV as DuckDB
    (each in a process of its own: chdb runs one engine per process)."""
    pytest.importorskip("chdb", reason="chdb is not installed: pip install -e '.[test]'")
    args = ("run", "-m", "deals_won", "-m", "win_rate", "-m", "won_revenue", "--grain",
            "quarter", "--format", "csv", "--profiles-dir", str(EXAMPLE.parent))
    duck, chdb = run_cli(*args, cwd=ROOT / "metrics"), \
        run_cli(*args, "--target", "chdb", cwd=ROOT / "metrics")
    assert chdb.returncode == 0 and duck.returncode == 0, chdb.stderr + duck.stderr
    assert chdb.stdout == duck.stdout and len(duck.stdout.splitlines()) == 9
