"""The afternoon-read promise, kept by the tests: short files and short functions in minigan/."""

import ast
import pathlib

import minigan as mg

PACKAGE = pathlib.Path(mg.__file__).parent
MAX_FILE_LINES = 400
MAX_FUNCTION_LINES = 45
ARGUMENT_PARSERS = {"parser", "build_parser"}  # one add_argument per line: long, but flat


def _functions(tree):
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node


def test_no_file_in_the_package_is_longer_than_an_afternoon_allows():
    long_files = [f"{path.relative_to(PACKAGE)}: {lines} lines"
                  for path in PACKAGE.rglob("*.py")
                  if (lines := path.read_text().count("\n")) > MAX_FILE_LINES]
    assert long_files == []


def test_no_function_in_the_package_is_longer_than_one_screen():
    long_functions = []
    for path in PACKAGE.rglob("*.py"):
        for node in _functions(ast.parse(path.read_text())):
            length = node.end_lineno - node.lineno + 1
            if length > MAX_FUNCTION_LINES and node.name not in ARGUMENT_PARSERS:
                long_functions.append(f"{path.relative_to(PACKAGE)}:{node.lineno} "
                                      f"{node.name}: {length} lines")
    assert long_functions == []
