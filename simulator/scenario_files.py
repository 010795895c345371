"""The scenario files shipped with the package: find them, list them, copy them.

The repository keeps its scenario files in ``scenarios/`` (and
``scenarios/reference/``); an installed copy carries the same files inside the
package as ``simulator/_scenarios/`` (see ``[tool.setuptools]`` in
``pyproject.toml``). A scenario is named by its path in that folder without
``.toml``: ``classroom``, ``crisis``, ``reference/watts_2002``.

A scenario argument of the ``virality`` command (``scenarios/classroom.toml``,
``classroom``, ``reference/watts_2002.toml``) is first a file of the current
folder; only when no such file exists is it read from the shipped copy
(:func:`resolve_scenario_path`), so a teacher can run ``virality viz`` from any
folder and a researcher's own edited file always wins.

``virality scenarios`` lists the shipped files with their descriptions, and
``virality scenarios copy NAME [DEST]`` copies one out to be edited.

>>> shipped_name("scenarios/reference/watts_2002.toml"), shipped_name("classroom")
('reference/watts_2002', 'classroom')
>>> "classroom" in shipped_scenarios()
True
"""

from __future__ import annotations

import argparse
import importlib.resources
import os
import shutil
import tempfile
import tomllib
from collections.abc import Callable
from pathlib import Path

from simulator.errors import ConfigError, suggest

#: The folder name the docs, the examples and a checkout use for the scenario files.
FOLDER = "scenarios"
#: Where the files are inside an installed package.
INSTALLED_FOLDER = "_scenarios"
SUFFIX = ".toml"
DOCS = "docs/guide/scenarios.md"


def shipped_folder() -> Path | None:
    """The folder of the shipped scenario files, or ``None`` if this copy has none.

    An installed package has them as ``simulator/_scenarios/``. A checkout (an
    editable install, or the source tree on ``sys.path``) reads ``scenarios/``
    at the repository root instead: the same files, where they are edited.
    """
    package = importlib.resources.files("simulator")
    installed = package / INSTALLED_FOLDER
    # A zipped install would give a non-filesystem Traversable; the scenario loader
    # needs a real path (an edge list is read relative to its scenario file).
    if isinstance(installed, Path) and installed.is_dir():
        return installed
    if isinstance(package, Path):
        checkout = package.parent / FOLDER
        if checkout.is_dir() and (package.parent / "pyproject.toml").is_file():
            return checkout
    return None


def shipped_scenarios() -> dict[str, Path]:
    """Every shipped scenario file by name (``"reference/watts_2002"``), sorted.

    Top-level files come first, then each subfolder's, so the lesson and story
    files lead and the reference models follow.
    """
    folder = shipped_folder()
    if folder is None:
        return {}
    files = sorted(folder.rglob(f"*{SUFFIX}"),
                   key=lambda p: (len(p.relative_to(folder).parts), p.relative_to(folder).as_posix()))
    return {p.relative_to(folder).with_suffix("").as_posix(): p for p in files if p.is_file()}


def shipped_name(value: str) -> str:
    """The shipped name an argument would mean: without ``./``, ``scenarios/`` and ``.toml``.

    >>> shipped_name("./scenarios/classroom.toml"), shipped_name("reference\\\\bass.toml")
    ('classroom', 'reference/bass')
    """
    text = value.strip().replace("\\", "/")
    while text.startswith("./"):
        text = text[2:]
    if text.startswith(f"{FOLDER}/"):
        text = text[len(FOLDER) + 1:]
    return text[: -len(SUFFIX)] if text.endswith(SUFFIX) else text


def description(path: Path) -> str:
    """A file's ``description``, else its first comment line (one line, for a listing)."""
    text = path.read_text(encoding="utf-8-sig")
    try:
        value = tomllib.loads(text).get("description")
    except tomllib.TOMLDecodeError:
        value = None
    if isinstance(value, str) and value.strip():
        return " ".join(value.split())
    for line in text.splitlines():
        words = line.strip().lstrip("#").strip()
        if line.strip().startswith("#") and words:
            return words
    return ""


def _allowed(names) -> str:
    listed = ", ".join(names) if names else "(none: this copy ships no scenario files)"
    return f"a .toml file that exists, or a shipped scenario: {listed} (virality scenarios)"


def resolve_scenario_path(value: str, report: Callable[[str], None] | None = None) -> str:
    """The scenario file an argument names: a file here, else the shipped one.

    Parameters
    ----------
    value
        The argument as typed: a path (``scenarios/classroom.toml``,
        ``my.toml``) or a shipped name (``classroom``, ``reference/watts_2002``).
    report
        Called with one line when the shipped copy is used instead of a
        missing local file, so the user knows which file was read.

    Returns
    -------
    str
        ``value`` itself when it names a file of the current folder (that
        always wins) or anything else that exists (the loader then says what
        is wrong with it); else the path of the shipped file.

    Raises
    ------
    ConfigError
        Nothing exists at ``value`` and it is no shipped name: one line naming
        the value and listing the shipped names.
    """
    local = Path(value)
    if local.is_file():
        return value
    shipped = shipped_scenarios()
    name = shipped_name(value)
    # An absolute path is the user's own file: never replaced by a shipped one.
    if not local.is_absolute() and name in shipped:
        path = shipped[name]
        if report is not None:
            here = "" if local.exists() else " here"
            report(f"no scenario file '{value}'{here}; using the shipped {FOLDER}/{name}{SUFFIX} "
                   f"({path})")
        return str(path)
    if local.exists():
        return value
    raise ConfigError(f"scenario file '{value}' not found{suggest(name, shipped)}; "
                      f"allowed: {_allowed(list(shipped))}")


def copy_scenario(name: str, dest: str | Path = ".", overwrite: bool = False) -> Path:
    """Copy the shipped scenario ``name`` to ``dest`` (a folder, or a file path).

    Parameters
    ----------
    name
        A shipped name, as :func:`shipped_scenarios` lists it (``scenarios/``
        and ``.toml`` may be written too).
    dest
        An existing folder (the file keeps its name, ``watts_2002.toml``) or a
        new file's path in an existing folder.
    overwrite
        Replace a file already at the destination (default: refuse).

    Returns
    -------
    Path
        The written file. It is written to a temporary file beside it and
        renamed, so an interrupted copy never leaves half a file.
    """
    shipped = shipped_scenarios()
    key = shipped_name(name)
    if key not in shipped:
        raise ConfigError(f"NAME = {name!r} is not a shipped scenario{suggest(key, shipped)}; allowed: "
                          + (", ".join(shipped) or "(none: this copy ships no scenario files)"))
    source = shipped[key]
    target = Path(dest)
    if target.is_dir():
        target = target / source.name
    elif not target.parent.is_dir():
        raise ConfigError(f"DEST = '{dest}': folder '{target.parent}' does not exist; expected an "
                          "existing folder or a file path in one")
    if target.exists() and not target.is_file():
        raise ConfigError(f"DEST = '{target}' exists and is not a file; expected a folder or a "
                          "file path")
    if target.exists() and not overwrite:
        raise ConfigError(f"'{target}' already exists; allowed: another DEST, or --overwrite to "
                          "replace it")
    if target.exists() and target.resolve() == source.resolve():
        return target  # a checkout's own file onto itself: nothing to do
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out, source.open("rb") as src:
            shutil.copyfileobj(src, out)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return target


# --------------------------------------------------------------------- the command
def register(sub) -> None:
    """Add ``virality scenarios`` (list) and ``virality scenarios copy`` (registered by the CLI)."""
    p = sub.add_parser(
        "scenarios", help="list the shipped scenario files, or copy one to edit it",
        description="List the scenario files that come with virality: the lesson, the stories "
        "and the reference models, each with its description. Any command takes a name from "
        "this list in place of a file (a file of that name in the current folder wins). "
        "'copy' puts one in the current folder (or DEST) to be edited.",
        epilog="examples:\n"
        "  virality scenarios\n"
        "  virality scenarios copy classroom            # writes ./classroom.toml\n"
        "  virality scenarios copy reference/watts_2002 my_lesson.toml\n"
        "  virality run crisis                          # a shipped file by its name\n"
        f"writing your own: {DOCS}\nevery key: virality keys, or docs/keys.md",
        usage="virality scenarios [-h] [list | copy NAME [DEST] [--overwrite]]",
    )
    actions = p.add_subparsers(dest="action", parser_class=type(p), metavar="ACTION")
    actions.add_parser(
        "list", help="list the shipped scenarios (the default)",
        description="List the shipped scenario files: name and one-line description.",
        epilog="example: virality scenarios list",
    )
    c = actions.add_parser(
        "copy", help="copy a shipped scenario file to edit it",
        description="Copy a shipped scenario file into the current folder (or DEST) to edit "
        "it; an existing file is never replaced unless --overwrite is given.",
        epilog="examples:\n"
        "  virality scenarios copy classroom\n"
        "  virality scenarios copy crisis lessons/crisis_week2.toml --overwrite\n"
        "then: virality validate classroom.toml\n"
        f"writing scenarios: {DOCS}",
    )
    c.add_argument("name", help="a shipped scenario, as 'virality scenarios' lists it")
    c.add_argument("dest", nargs="?", default=".",
                   help="a folder, or the new file's path (default: the current folder)")
    c.add_argument("--overwrite", action="store_true",
                   help="replace a file already at DEST (default: refuse)")
    p.set_defaults(func=cmd_scenarios)


def cmd_scenarios(args: argparse.Namespace) -> int:
    """``virality scenarios [list | copy NAME [DEST]]``."""
    if args.action == "copy":
        target = copy_scenario(args.name, args.dest, overwrite=args.overwrite)
        print(f"wrote {target}")
        return 0
    shipped = shipped_scenarios()
    if not shipped:
        raise ConfigError("no scenario files are shipped with this copy of virality; allowed: "
                          "reinstall with pip install virality-simulator")
    width = max(len(name) for name in shipped) + 2
    rows = [f"{name:<{width}}{description(path)}".rstrip() for name, path in shipped.items()]
    print("\n".join(rows) + "\n\nrun one by its name (virality run quickstart), or copy it to "
          f"edit it: virality scenarios copy NAME\nthe files: {shipped_folder()}")
    return 0
