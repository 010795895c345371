"""The shipped scenario files: installed with the package, found from any folder,
listed and copied by ``virality scenarios``; a file of the current folder always wins."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from simulator.cli import main
from simulator.errors import ConfigError
from simulator.scenario_files import (
    copy_scenario,
    resolve_scenario_path,
    shipped_folder,
    shipped_scenarios,
)

ROOT = Path(__file__).resolve().parents[1]
FILES = sorted((ROOT / "scenarios").rglob("*.toml"))
NAMES = sorted(p.relative_to(ROOT / "scenarios").with_suffix("").as_posix() for p in FILES)


@pytest.fixture()
def elsewhere(tmp_path, monkeypatch):
    """A folder without scenarios/, as a teacher's home folder."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def one_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert "Traceback" not in err[0]
    return err[0]


# ------------------------------------------------------------------ packaging
def test_every_file_of_scenarios_is_shipped_by_its_name():
    shipped = shipped_scenarios()
    assert sorted(shipped) == NAMES
    assert "classroom" in shipped and "reference/watts_2002" in shipped
    for name, path in shipped.items():
        assert path.read_bytes() == (ROOT / "scenarios" / f"{name}.toml").read_bytes()


def test_pyproject_installs_every_package_and_the_scenario_files():
    """The package list is written out (to map scenarios/ into the package): a new
    subpackage of simulator/ must be listed, and every scenario folder must be packaged."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    packages = set(config["packages"])
    on_disk = {p.parent.relative_to(ROOT).as_posix().replace("/", ".")
               for p in (ROOT / "simulator").rglob("__init__.py")}
    assert on_disk <= packages, f"add to [tool.setuptools] packages: {sorted(on_disk - packages)}"
    assert config["package-dir"] == {"simulator._scenarios": "scenarios"}
    folders = {p.parent for p in FILES}
    for folder in folders:
        package = ".".join(["simulator._scenarios", *folder.relative_to(ROOT / "scenarios").parts])
        assert package in packages, f"{folder} is not installed: add {package}"
        assert "*.toml" in config["package-data"][package]


# ----------------------------------------------------------------- resolution
@pytest.mark.parametrize("value, name", [
    ("scenarios/classroom.toml", "classroom.toml"),
    ("classroom", "classroom.toml"),
    ("classroom.toml", "classroom.toml"),
    ("./scenarios/crisis.toml", "crisis.toml"),
    ("reference/watts_2002.toml", "reference/watts_2002.toml"),
    ("scenarios/reference/watts_2002.toml", "reference/watts_2002.toml"),
    ("reference/bass_per_year", "reference/bass_per_year.toml"),
])
def test_a_missing_file_falls_back_to_the_shipped_one(elsewhere, value, name):
    said = []
    path = Path(resolve_scenario_path(value, report=said.append))
    assert path == shipped_folder() / name
    assert len(said) == 1 and f"'{value}'" in said[0] and str(path) in said[0]


def test_a_file_here_always_wins(elsewhere):
    (elsewhere / "scenarios").mkdir()
    mine = elsewhere / "scenarios" / "classroom.toml"
    mine.write_text('name = "mine"\n[graph]\nn = 50\n')
    said = []
    assert resolve_scenario_path("scenarios/classroom.toml", report=said.append) == \
        "scenarios/classroom.toml"
    assert said == []
    (elsewhere / "classroom").write_text('[graph]\nn = 50\n')  # a file without .toml, too
    assert resolve_scenario_path("classroom", report=said.append) == "classroom"
    assert said == []


def test_an_absolute_path_is_never_replaced_by_a_shipped_file(elsewhere):
    with pytest.raises(ConfigError, match="not found"):
        resolve_scenario_path(str(elsewhere / "scenarios" / "classroom.toml"))


def test_a_folder_named_as_a_scenario_does_not_hide_it(elsewhere):
    (elsewhere / "classroom").mkdir()
    assert Path(resolve_scenario_path("classroom")).name == "classroom.toml"
    (elsewhere / "notes").mkdir()  # no such scenario: the loader says what is wrong
    assert resolve_scenario_path("notes") == "notes"


def test_commands_read_a_shipped_scenario_from_any_folder(elsewhere, capsys):
    assert main(["validate", "classroom", "--set", "run.replicates=1"]) == 0
    captured = capsys.readouterr()
    assert "ok" in captured.out
    assert captured.err.strip().splitlines() == [
        "virality: no scenario file 'classroom' here; using the shipped "
        f"scenarios/classroom.toml ({shipped_folder() / 'classroom.toml'})"]
    assert main(["run", "reference/independent_cascade", "--replicates", "1", "--steps", "3",
                 "--set", "graph.n=300", "--quiet", "--no-plots"]) == 0
    assert (elsewhere / "results" / "independent_cascade" / "summary.json").exists()


@pytest.mark.parametrize("value, hint", [
    ("scenarios/clasroom.toml", " (did you mean 'classroom'?)"),
    ("watts_2002", " (did you mean 'reference/watts_2002'?)"),
    ("nothing_like_it.toml", ""),
])
@pytest.mark.parametrize("command", ["run", "validate", "compare", "viz", "animate"])
def test_a_bad_name_is_one_line_listing_the_shipped_ones(elsewhere, capsys, command, value, hint):
    assert main([command, value]) == 2
    err = one_line(capsys)
    assert err.startswith(f"virality: error: scenario file '{value}' not found{hint}")
    assert "allowed: a .toml file that exists, or a shipped scenario: " in err
    assert all(name in err for name in NAMES)


# ------------------------------------------------------------ the command
def test_scenarios_lists_every_name_with_its_description(capsys):
    assert main(["scenarios"]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line for line in out.splitlines() if line and not line[0].isspace()}
    for name in NAMES:
        assert name in rows, name
    classroom = tomllib.loads((ROOT / "scenarios" / "classroom.toml").read_text())
    assert classroom["description"] in rows["classroom"]
    assert "Bass" in rows["reference/bass"]  # no description: the file's first comment
    assert "virality scenarios copy NAME" in out
    assert main(["scenarios", "list"]) == 0
    assert capsys.readouterr().out == out


def test_copy_writes_the_file_here_and_never_overwrites_without_the_flag(elsewhere, capsys):
    assert main(["scenarios", "copy", "classroom"]) == 0
    copied = elsewhere / "classroom.toml"
    assert capsys.readouterr().out.strip() == "wrote classroom.toml"
    assert copied.read_bytes() == (ROOT / "scenarios" / "classroom.toml").read_bytes()
    copied.write_text("# a teacher's edits\n")
    assert main(["scenarios", "copy", "classroom"]) == 2
    assert one_line(capsys) == ("virality: error: 'classroom.toml' already exists; allowed: "
                                "another DEST, or --overwrite to replace it")
    assert copied.read_text() == "# a teacher's edits\n"
    assert main(["scenarios", "copy", "scenarios/classroom.toml", "--overwrite"]) == 0
    assert copied.read_bytes() == (ROOT / "scenarios" / "classroom.toml").read_bytes()
    assert sorted(p.name for p in elsewhere.iterdir()) == ["classroom.toml"]  # no temporary left


def test_copy_into_a_folder_or_to_a_new_name(elsewhere, capsys):
    (elsewhere / "lessons").mkdir()
    assert main(["scenarios", "copy", "reference/watts_2002", "lessons"]) == 0
    assert (elsewhere / "lessons" / "watts_2002.toml").is_file()
    assert main(["scenarios", "copy", "crisis", "lessons/week2.toml"]) == 0
    assert (elsewhere / "lessons" / "week2.toml").read_bytes() == \
        (ROOT / "scenarios" / "crisis.toml").read_bytes()
    # The copy is a scenario like any other: it validates where it is.
    assert main(["validate", "lessons/week2.toml"]) == 0
    assert copy_scenario("quickstart", elsewhere / "q.toml") == elsewhere / "q.toml"


@pytest.mark.parametrize("argv, fragment", [
    (["scenarios", "copy", "clasroom"],
     "NAME = 'clasroom' is not a shipped scenario (did you mean 'classroom'?); allowed: "),
    (["scenarios", "copy", "classroom", "no/such/folder/a.toml"],
     "folder 'no/such/folder' does not exist"),
    (["scenarios", "copy"], "the following arguments are required: name"),
    (["scenarios", "paste"], "invalid choice: 'paste'"),
])
def test_copy_refuses_bad_input_in_one_line(elsewhere, capsys, argv, fragment):
    assert main(argv) == 2
    assert fragment in one_line(capsys)
    assert not list(elsewhere.iterdir())


@pytest.mark.parametrize("argv", [["scenarios"], ["scenarios", "copy"]])
def test_scenarios_help_has_a_description_an_example_and_the_docs(argv, capsys):
    with pytest.raises(SystemExit):
        main([*argv, "--help"])
    out = capsys.readouterr().out
    usage, _, rest = out.partition("\n\n")
    assert rest.strip() and not rest.startswith("positional")
    assert "example" in out and "virality scenarios" in out.split("example", 1)[1]
    assert "docs/guide/scenarios.md" in out
    assert max(len(line) for line in out.splitlines()) <= 100
