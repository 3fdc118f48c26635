"""The runner and the radar module ship as written: lines are removed, never rewritten (userdata.shipped).

`ast.unparse` on Python 3.12+ rewrote f-strings with nested quotes of the same kind (PEP 701), which Ubuntu 22.04's
Python 3.10 cannot read — and Lambda renders user data on 3.13. The process tests compile the shipped text under
each OS's python where pyenv has it; this one holds the property on any interpreter.
"""

from __future__ import annotations

import ast

import pytest

from p2p_core.bootstrap.userdata import RADAR, RUNNER, shipped


@pytest.mark.parametrize("module", [RUNNER, RADAR], ids=["runner", "radar"])
def test_a_shipped_module_is_its_source_with_lines_taken_out_and_comments_cut(module) -> None:
    source = module.read_text().splitlines()
    lines = shipped(module).decode().splitlines()
    position = 0
    for line in lines:  # in order, each the start of a source line (a comment after code is cut off)
        while not source[position].startswith(line):
            position += 1
        position += 1
    assert not any(line.lstrip().startswith("#") for line in lines[1:])  # the shebang stays
    tree = ast.parse(shipped(module))
    assert ast.get_docstring(tree)  # the module's own docstring stays: --help prints it
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.ClassDef)]
    assert functions and not any(ast.get_docstring(n) for n in functions)
    assert len(shipped(module)) < 0.9 * len(module.read_bytes())
