"""Run the tutorials' code, lesson by lesson: every ```python block of a lesson, in order, in
one namespace, in a fresh process per lesson.

    python tutorials/run.py              # every lesson; regenerates tutorials/figures/*.png
    python tutorials/run.py 05 07        # lessons 05 and 07 only
    python tutorials/run.py 05 --out DIR # run in DIR (figures land in DIR/figures)

A lesson writes its figures to figures/NAME.png relative to the folder it runs in. Figures
under figures/long/ come from the longer trainings that the lessons document as commands;
this runner does not make them.
"""

import argparse
import os
import pathlib
import re
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
BLOCK = re.compile(r"^```python\n(.*?)^```$", re.MULTILINE | re.DOTALL)
FIGURE = re.compile(r"!\[[^\]]*\]\((figures/[^)]+\.png)\)")


def lessons():
    """The lesson files, in order: NN-name.md."""
    return sorted(path for path in HERE.glob("[0-9][0-9]-*.md"))


def code_blocks(path):
    return BLOCK.findall(path.read_text())


def figures(path, include_long=False):
    """The figures a lesson shows (those its own code makes, unless include_long)."""
    found = FIGURE.findall(path.read_text())
    return [f for f in found if include_long or not f.startswith("figures/long/")]


def run_lesson(path):
    """Execute one lesson's blocks in this process; raises with the block number on error."""
    namespace = {"__name__": "__main__"}
    os.makedirs("figures", exist_ok=True)
    for number, code in enumerate(code_blocks(path), start=1):
        started = time.perf_counter()
        try:
            exec(compile(code, f"{path.name} (python block {number})", "exec"), namespace)
        except Exception as error:
            raise RuntimeError(f"{path.name}: python block {number} failed: "
                               f"{type(error).__name__}: {error}") from error
        print(f"  block {number}: {time.perf_counter() - started:.1f} s")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("lessons", nargs="*", help="lesson numbers (default: all)")
    parser.add_argument("--out", default=str(HERE), help="where to run (default: tutorials/)")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: run this file here
    arguments = parser.parse_args(argv)
    os.environ.setdefault("MPLBACKEND", "Agg")
    if arguments.one:
        os.chdir(arguments.out)
        run_lesson(pathlib.Path(arguments.one))
        return 0
    chosen = [p for p in lessons() if not arguments.lessons
              or p.name.split("-")[0] in arguments.lessons]
    if not chosen:
        print(f"no lesson matches {arguments.lessons}", file=sys.stderr)
        return 2
    failed = []
    for path in chosen:
        print(f"{path.name}")
        started = time.perf_counter()
        result = subprocess.run([sys.executable, __file__, "--one", str(path), "--out",
                                 arguments.out])
        print(f"  {'ok' if result.returncode == 0 else 'FAILED'} in "
              f"{time.perf_counter() - started:.1f} s")
        if result.returncode:
            failed.append(path.name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
