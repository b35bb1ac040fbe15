"""The engine, the model and the debugger never import Textual or Rich."""

import subprocess
import sys


def test_sim_model_debugger_do_not_import_textual_or_rich() -> None:
    code = (
        "import sys, msidbg.sim, msidbg.model, msidbg.debugger, msidbg.scenario\n"
        "import msidbg.debugger.headless, msidbg.debugger.summary\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"imported: {out.stdout.strip()}"


def test_sim_does_not_import_model() -> None:
    code = "import sys, msidbg.sim\nprint(any(m.startswith('msidbg.model') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
