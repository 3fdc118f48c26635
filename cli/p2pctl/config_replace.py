"""`config put` and `config edit`: replace the whole item, only as meant.

An empty file is refused (a failed `config show > f` leaves one; writing it would decommission every
region); a file without `version` is refused unless `--force` (it would overwrite whatever another writer
stored since); a kept edit carries its version as a field, so `config put` of it stays conditional.
"""

from __future__ import annotations

import functools
import os
import shlex
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from p2p_core.config import ConfigItem
from p2pctl.config_cmd import load_file, report_write
from p2pctl.config_write import BOOKKEEPING, CONFLICT_EXIT, current_item, write_item
from p2pctl.context import CliContext
from p2pctl.errors import CliError
from p2pctl.output import console
from p2pctl.values import ValueSyntaxError, as_yaml, read_item
from p2pctl.write_guard import confirm_write

USAGE_EXIT = 2


def is_empty(path: Path) -> bool:
    """The file holds no item at all: nothing, whitespace or comments only (not `{}`, which is an item)."""
    try:
        text = path.read_text()
        return not text.strip() or read_item(text, json_text=path.suffix == ".json") is None
    except (OSError, ValueSyntaxError):  # load_file names these
        return False


def put_file(cli: CliContext, file: Path, *, expect_version: int | None, force: bool, yes: bool) -> ConfigItem:
    """Write the file's item, conditional on its `version` (or --expect-version, or with --force the stored one)."""
    if is_empty(file):
        raise CliError(
            f"{file} is empty: nothing written (an empty item would decommission every region)",
            "write the item to it again (p2pctl config show > FILE); for every default, put {} in it",
            USAGE_EXIT,
        )
    new_fields = load_file(file)
    raw, stored_version = current_item(cli)
    from_file = new_fields.get("version")
    if expect_version is not None:
        expected = expect_version
    elif isinstance(from_file, int) and not isinstance(from_file, bool):
        expected = from_file  # the version `config show` wrote into the file: someone else's write since is a conflict
    elif force or not raw:  # no item stored yet: nobody's change to overwrite
        expected = stored_version
    else:
        raise CliError(
            f"{file} has no version, and the stored item is at version {stored_version}: nothing written "
            "(writing it would replace whatever was stored since you read it)",
            f"if {file} is your change of version {stored_version}, add 'version: {stored_version}' to it "
            "('p2pctl config show' writes it); to replace the item whatever its version, pass --force",
            CONFLICT_EXIT,
        )
    guard = functools.partial(confirm_write, cli, raw, yes=yes)
    written = write_item(cli, new_fields, expected, guard=guard, stored_version=stored_version)
    report_write(written, raw, f" written from {file}")
    return written


def keep_with_version(path: Path, version: int) -> None:
    """Make the kept edit carry `version: N` as a field (not only in the header comment), the text otherwise kept."""
    try:
        edited = load_file(path)
    except CliError:  # not valid YAML: the version line still makes a later `put` conditional once it is fixed
        edited = None
    if edited is not None and "version" in edited:
        return
    text = path.read_text()
    lines = text.splitlines(keepends=True)
    header = 0
    while header < len(lines) and lines[header].startswith("#"):
        header += 1
    path.write_text("".join([*lines[:header], f"version: {version}\n", *lines[header:]]))
    if edited is not None and load_file(path) != {**edited, "version": version}:  # e.g. a flow mapping `{a: 1}`
        path.write_text("".join(lines[:header]) + as_yaml({**edited, "version": version}))


def edit_in_editor(cli: CliContext, *, yes: bool) -> None:
    """Edit the item in $EDITOR; written only if valid, meant, and nobody changed it meanwhile."""
    raw, version = current_item(cli)
    shown = {k: v for k, v in raw.items() if k not in BOOKKEEPING}
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", prefix="p2p-config-", delete=False) as handle:
        handle.write(f"# p2p config item, version {version}. Save and quit to apply; empty file to cancel.\n")
        handle.write(as_yaml(shown) if shown else "")
        path = Path(handle.name)
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    if subprocess.run([*shlex.split(editor), str(path)], check=False).returncode != 0:
        keep_with_version(path, version)
        raise CliError(f"{editor} exited with an error; nothing written (your edit is in {path})", "edit again")
    edited = _edited(path, version)
    if not edited and shown:
        path.unlink()
        console.print("empty file: nothing written", highlight=False, markup=False)
        return
    if edited == shown:
        path.unlink()
        console.print("no change", highlight=False, markup=False)
        return
    try:
        written = write_item(cli, edited, version, guard=functools.partial(confirm_write, cli, raw, yes=yes))
    except CliError as exc:
        keep_with_version(path, version)  # so `config put` of it is refused while the other writer's change stands
        raise CliError(f"{exc.message} (your edit is kept in {path})", exc.fix, exc.exit_code) from None
    path.unlink()
    report_write(written, raw, " written")


def _edited(path: Path, version: int) -> dict[str, Any]:
    try:
        return load_file(path)
    except CliError as exc:
        keep_with_version(path, version)
        raise CliError(f"{exc.message} (your edit is kept in {path})", exc.fix, exc.exit_code) from None
