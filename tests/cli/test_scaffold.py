"""`metrics init DIR`: a new project that validates, runs and passes its test at once."""

from __future__ import annotations


def clean(result) -> None:
    assert "Traceback" not in result.stdout + result.stderr, result.stderr


def test_a_new_project_validates_runs_and_passes_its_test(cli, tmp_path):
    folder = tmp_path / "Sales KPIs"
    made = cli("init", str(folder))
    clean(made)
    assert made.returncode == 0, made.stderr
    assert sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) == [
        "data/deals.csv", "metrics/project.yml", "metrics/sales.test.yml",
        "metrics/sales.yml", "metrics/sources.yml"]
    assert "name: sales_kpis\n" in (folder / "metrics" / "project.yml").read_text()
    for command in (["validate", "--strict"], ["list"], ["test"]):
        result = cli(*command, cwd=folder)
        clean(result)
        assert result.returncode == 0, (command, result.stdout + result.stderr)
    run = cli("run", "--format", "csv", cwd=folder)
    assert run.returncode == 0, run.stderr
    # by hand from data/deals.csv: won by close month, and won over closed (won or lost)
    assert run.stdout.splitlines() == [
        '"period","won_revenue","win_rate"',
        "2025-01-01,12000,0.5",
        "2025-02-01,34500,0.6666666666666666",
        "2025-03-01,57500,0.6"]


def test_a_folder_that_is_not_empty_is_refused_unless_forced(cli, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    refused = cli("init", str(tmp_path))
    clean(refused)
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr == (f"error: {tmp_path} is not empty; choose a new folder, or pass "
                              "--force to write the project's files into it\n")
    forced = cli("init", str(tmp_path), "--force")
    assert forced.returncode == 0, forced.stderr
    assert (tmp_path / "notes.txt").read_text() == "mine"  # other files are left alone
    assert cli("test", cwd=tmp_path).returncode == 0


def test_one_line_errors(cli, tmp_path):
    (tmp_path / "file").write_text("")
    for target, message in ((tmp_path / "file", "exists and is not a folder"),
                            (tmp_path / "file" / "sub", "cannot write the project in")):
        result = cli("init", str(target))
        clean(result)
        assert result.returncode == 2
        assert result.stderr.startswith("error: ") and message in result.stderr
        assert str(target) in result.stderr
        assert len(result.stderr.splitlines()) == 1

