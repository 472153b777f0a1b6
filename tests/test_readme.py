"""The README is part of the contract: its settings table and its layout section match the code."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
# env.str("NAME", ...), env.int(...), env.db_url("NAME"), ...: every variable the settings read.
ENV_READ = re.compile(r'\benv(?:\.\w+)?\(\s*"([A-Z][A-Z0-9_]*)"')


def section(title):
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else None]


def test_every_environment_variable_is_in_the_settings_table_by_its_full_name():
    read = set(ENV_READ.findall((ROOT / "config" / "settings.py").read_text()))
    read |= set(
        re.findall(r'os\.environ(?:\.get)?[\[(]"([A-Z][A-Z0-9_]*)"', (ROOT / "config" / "settings.py").read_text())
    )
    assert len(read) > 40  # the pattern still finds them
    table = section("Configuration")
    rows = {
        name
        for line in table.splitlines()
        if line.startswith("| `")
        for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", line.split("|")[1])
    }
    assert sorted(read - rows) == [], "add these to the README's Configuration table"
    assert sorted(rows - read) == [], "the README's Configuration table names variables the settings do not read"


def test_the_layout_section_names_every_package_of_the_tree_and_no_other():
    packages = {
        path.parent.name
        for path in ROOT.glob("*/__init__.py")
        if path.parent.name not in {"tests"} and not path.parent.name.startswith(".")
    }
    packages |= {
        path.name for path in ROOT.iterdir() if path.is_dir() and path.name in {"bench", "deploy", "docs", "templates"}
    }
    layout = section("Layout")
    listed = set(re.findall(r"^\| `(\w+)/`", layout, flags=re.MULTILINE))
    assert listed == packages | {"tests"}


def test_every_bench_script_has_a_make_target():
    makefile = (ROOT / "Makefile").read_text()
    phony = re.search(r"^\.PHONY:(.*)$", makefile, flags=re.MULTILINE).group(1).split()
    scripts = [path for path in (ROOT / "bench").glob("*.py") if '__name__ == "__main__"' in path.read_text()]
    assert len(scripts) >= 4
    for script in scripts:
        target = "bench-" + script.stem.replace("_", "-")
        assert re.search(rf"^{target}:.*\n\t.*bench/{script.name}", makefile, flags=re.MULTILINE), target
        assert target in phony
        assert f"`make {target}`" in README, f"the README's Performance table names {target}"
