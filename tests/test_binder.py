"""Check that the Binder configuration agrees with the package and the book's launch buttons.

Binder itself cannot be reached from the test machine, so these tests check the files that
repo2docker reads against pyproject.toml and _config.yml.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

REPO = Path(__file__).resolve().parents[1]
BINDER = REPO / "binder"


def _pyproject_dependency(name: str) -> Requirement:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    for line in project["dependencies"]:
        requirement = Requirement(line)
        if requirement.name == name:
            return requirement
    raise AssertionError(f"{name} is not a dependency in pyproject.toml")


def _binder_requirements() -> dict[str, Requirement]:
    requirements = {}
    for line in (BINDER / "requirements.txt").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "-")):
            requirement = Requirement(line)
            requirements[requirement.name] = requirement
    return requirements


def test_binder_torch_satisfies_package_pin():
    binder_torch = _binder_requirements()["torch"]
    pinned = next(iter(binder_torch.specifier)).version
    assert _pyproject_dependency("torch").specifier.contains(Version(pinned))
    assert Version(pinned).local == "cpu"


def test_binder_uses_cpu_wheel_index():
    lines = (BINDER / "requirements.txt").read_text().splitlines()
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in lines


def test_binder_python_meets_requires_python():
    runtime = (BINDER / "runtime.txt").read_text().strip()
    match = re.fullmatch(r"python-(\d+\.\d+)", runtime)
    assert match, f"runtime.txt must read python-X.Y, got {runtime!r}"
    requires = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
    assert SpecifierSet(requires).contains(Version(match.group(1)))


def test_postbuild_installs_package():
    post_build = BINDER / "postBuild"
    assert os.access(post_build, os.X_OK)
    assert 'pip install --no-cache-dir -e ".[book,test]"' in post_build.read_text()


def test_launch_buttons_point_at_notebooks():
    config = yaml.safe_load((REPO / "_config.yml").read_text())
    assert config["launch_buttons"]["binderhub_url"] == "https://mybinder.org"
    assert config["repository"]["url"].startswith("https://github.com/")
    # The book's root is the repository root, so a chapter's launch path is its path in the repo.
    assert "path_to_book" not in config["repository"]
    toc = yaml.safe_load((REPO / "_toc.yml").read_text())
    chapters = [entry["file"] for part in toc["parts"] for entry in part["chapters"]]
    notebooks = [name for name in chapters if name.startswith("notebooks/")]
    assert notebooks
    for name in notebooks:
        assert (REPO / f"{name}.ipynb").is_file()
