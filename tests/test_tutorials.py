"""Every tutorial runs: each lesson's python blocks execute in order, in a fresh process, and
produce the figures the lesson shows."""

import importlib.util
import pathlib
import subprocess
import sys

import pytest

RUNNER = pathlib.Path(__file__).resolve().parents[1] / "tutorials" / "run.py"
_spec = importlib.util.spec_from_file_location("tutorial_runner", RUNNER)
runner = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(runner)

LESSONS = runner.lessons()


def test_there_are_lessons():
    assert len(LESSONS) >= 12


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.name for p in LESSONS])
def test_lesson_runs_and_makes_its_figures(lesson, tmp_path):
    assert runner.code_blocks(lesson), f"{lesson.name} has no python code"
    shown = runner.figures(lesson)
    assert shown, f"{lesson.name} shows no figure made by its own code"
    result = subprocess.run([sys.executable, str(RUNNER), lesson.name[:2], "--out",
                             str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    for figure in shown:
        assert (tmp_path / figure).is_file(), f"{lesson.name} did not make {figure}"
        assert (lesson.parent / figure).is_file(), f"{figure} is not committed (run " \
                                                   "python tutorials/run.py)"


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.name for p in LESSONS])
def test_long_figures_are_committed(lesson):
    for figure in runner.figures(lesson, include_long=True):
        assert (lesson.parent / figure).is_file(), f"{lesson.name} shows a missing {figure}"
