"""pyproject.toml and environment.yml name the same packages with the same lower bounds."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _requirement(spec: str) -> tuple[str, str]:
    match = re.fullmatch(r"\s*([A-Za-z0-9_.\-\[\]]+?)\s*(>=\s*[\d.]+)?\s*", spec)
    assert match, f"cannot parse requirement {spec!r}"
    name = re.sub(r"\[.*\]", "", match.group(1)).lower().replace("_", "-")
    return name, (match.group(2) or "").replace(" ", "")


def test_environment_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = dict(_requirement(s) for s in project["dependencies"] + project["optional-dependencies"]["dev"])
    wanted["python"] = ">=" + project["requires-python"].lstrip(">=")

    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda, pip = {}, {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip.update(_requirement(s) for s in dep["pip"] if not s.startswith("-e"))
        elif dep != "pip":
            conda.update([_requirement(dep)])
    assert {**conda, **pip} == wanted
