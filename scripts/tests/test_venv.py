"""scripts/venv picks the Python that `make` builds .venv with: 3.11, 3.12 or 3.13, the newest that runs.

Each case runs the script in a bash of its own, with a PATH that holds only the interpreters the case
is about. A pyenv shim of a version pyenv has not selected is on PATH but fails; `shim()` writes one.
"""

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "venv"
# The interpreter running the tests, not the .venv wrapper around it.
PYTHON = Path(sys._base_executable).resolve()  # type: ignore[attr-defined]


def path_dir(tmp_path: Path, *tools: str) -> Path:
    """A bin folder with the few commands the script needs besides Python."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("dirname", "realpath", "cat", "sha256sum", "cut", "rm", *tools):
        found = shutil.which(tool)
        assert found, tool
        (bin_dir / tool).symlink_to(found)
    return bin_dir


def shim(bin_dir: Path, name: str) -> None:
    """What pyenv's shim does for a version that is installed but not selected."""
    path = bin_dir / name
    path.write_text(f"#!/bin/sh\necho 'pyenv: {name}: command not found' >&2\nexit 127\n")
    path.chmod(0o755)


def run(bin_dir: Path, *args: str, script: Path = SCRIPT, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["/bin/bash", str(script), *args],
        env={"PATH": str(bin_dir), "HOME": os.environ.get("HOME", "/root"), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_newest_python_that_runs_is_chosen_over_newer_ones_that_do_not(tmp_path: Path) -> None:
    bin_dir = path_dir(tmp_path)
    shim(bin_dir, "python3.13")
    shim(bin_dir, "python3.12")
    (bin_dir / "python3.11").symlink_to(PYTHON)

    result = run(bin_dir, "--python")

    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{PYTHON}\n"


def test_the_newest_of_several_that_run_is_chosen_and_the_older_are_not_tried(tmp_path: Path) -> None:
    bin_dir = path_dir(tmp_path)
    (bin_dir / "python3.13").symlink_to(PYTHON)
    tried = tmp_path / "tried"
    for name in ("python3.12", "python3.11"):
        (bin_dir / name).write_text(f'#!/bin/sh\necho {name} >> {tried}\nexec {PYTHON} "$@"\n')
        (bin_dir / name).chmod(0o755)

    result = run(bin_dir, "--python")

    assert result.stdout == f"{PYTHON}\n"
    assert not tried.exists()


def test_no_python_that_runs_says_in_one_line_what_to_install(tmp_path: Path) -> None:
    bin_dir = path_dir(tmp_path)
    for name in ("python3.13", "python3.12", "python3.11"):
        shim(bin_dir, name)

    result = run(bin_dir, "--python")

    assert result.returncode == 1
    assert result.stdout == ""
    # Without apt-cache on PATH the script cannot tell which python3.X this system has: it names 3.11.
    assert result.stderr == (
        "Remit needs Python 3.11, 3.12 or 3.13: install one "
        "(Debian/Ubuntu: sudo apt-get install python3.11 python3.11-venv) or point PYTHON at one.\n"
    )


def test_a_python_set_in_python_that_does_not_run_is_refused_in_one_line(tmp_path: Path) -> None:
    bin_dir = path_dir(tmp_path)
    shim(bin_dir, "python3.13")
    (bin_dir / "python3.11").symlink_to(PYTHON)

    result = run(bin_dir, "--python", PYTHON="python3.13")

    assert result.returncode == 1
    assert result.stderr == (
        "PYTHON=python3.13 does not run Python 3.11, 3.12 or 3.13: point it at one, "
        "or leave it unset to use the newest there is.\n"
    )


def project_with_venv(tmp_path: Path) -> Path:
    """A copy of the script in a project whose .venv is made and installed (the stamp matches)."""
    project = tmp_path / "project"
    (project / "scripts").mkdir(parents=True)
    (project / "requirements").mkdir()
    shutil.copy(SCRIPT, project / "scripts" / "venv")
    (project / "requirements" / "dev.lock").write_text("# nothing\n")
    (project / "pyproject.toml").write_text("[project]\nname = 'example'\n")
    subprocess.run([PYTHON, "-m", "venv", "--without-pip", project / ".venv"], check=True)
    locked = (project / "requirements" / "dev.lock").read_bytes() + (project / "pyproject.toml").read_bytes()
    (project / ".venv" / ".installed").write_text(hashlib.sha256(locked).hexdigest() + "\n")
    (project / ".venv" / "made-here").touch()
    return project


def test_a_venv_that_runs_is_kept_when_no_python_is_asked_for(tmp_path: Path) -> None:
    project = project_with_venv(tmp_path)
    bin_dir = path_dir(tmp_path)
    (bin_dir / "python3.13").symlink_to(PYTHON)

    result = run(bin_dir, script=project / "scripts" / "venv")

    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert (project / ".venv" / "made-here").exists()


def test_a_venv_made_by_the_python_asked_for_is_kept_whatever_the_path_to_it(tmp_path: Path) -> None:
    project = project_with_venv(tmp_path)
    bin_dir = path_dir(tmp_path)
    (bin_dir / "python3").symlink_to(PYTHON)

    result = run(bin_dir, script=project / "scripts" / "venv", PYTHON="python3")

    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert (project / ".venv" / "made-here").exists()
