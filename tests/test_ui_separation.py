"""The Qt-free core: nothing outside assistant/ui/ imports Qt, nor do the ui's Qt-free modules."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "assistant"
QT = ("PySide6", "PySide2", "PyQt5", "PyQt6", "shiboken6", "qtpy", "pytestqt")
QT_FREE_UI = ("state", "session", "ipc", "settings_file", "desktop", "portal")


def qt_imports(path: Path) -> list[str]:
    """The Qt modules a Python file imports (anywhere in it, also inside functions)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        else:
            continue
        found += [n for n in names if n.split(".")[0] in QT]
    return found


def test_the_scan_finds_a_qt_import(tmp_path):
    sample = tmp_path / "x.py"
    sample.write_text("def f():\n    from PySide6.QtCore import QObject\nimport PyQt6.QtGui\n")
    assert sorted(qt_imports(sample)) == ["PyQt6.QtGui", "PySide6.QtCore"]


def test_nothing_outside_ui_imports_qt():
    offenders = {}
    files = [p for p in PACKAGE.rglob("*.py") if "ui" not in p.relative_to(PACKAGE).parts[:1]]
    assert len(files) > 20  # the scan really covers the package
    for path in files:
        if qt_imports(path):
            offenders[str(path.relative_to(PACKAGE))] = qt_imports(path)
    assert not offenders, f"Qt imported outside assistant/ui/: {offenders}"


def test_qt_free_ui_modules_do_not_import_qt():
    for name in QT_FREE_UI:
        assert not qt_imports(PACKAGE / "ui" / f"{name}.py"), name


def test_the_core_loads_without_qt():
    """Importing the engine, the command line and the Qt-free ui modules never loads Qt."""
    code = (
        "import sys\n"
        "import assistant.cli, assistant.engine, assistant.loader\n"
        + "".join(f"import assistant.ui.{m}\n" for m in QT_FREE_UI)
        + f"bad = [m for m in sys.modules if m.split('.')[0] in {QT!r}]\n"
        + "assert not bad, bad\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=PACKAGE.parent
    )
    assert result.returncode == 0, result.stderr
