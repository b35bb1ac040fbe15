"""The model revision (``msidbg.model.revision.MODEL``) follows what the model does.

Snapshots record the revision that wrote them, and a replay that diverges on another revision's
file says so (tests/test_hostile_snapshot.py). That is only true if the revision is bumped when
runs change: this test pins the shipped scenarios' runs (``tests/golden_runs.json``: events, event
log, hits and final state hash; provenance is not in snapshots) to the current revision.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from msidbg.model.revision import MODEL

GOLDEN = Path(__file__).resolve().parent / "golden_runs.json"
#: revision -> digest of golden_runs.json's run parts (``runs_digest``)
RUNS = {1: "04237649152fe3e274a0ffb3", 2: "09cb220fd1dd3898f5442acc", 3: "8cc3fa73c3354fb614008176", 4: "afeac72daa9d8817d152f144", 5: "0f442ba032c1942b59bc835d",
        6: "a89958e18a621d3a42cbc6d5", 7: "23c039d5b5e1450b3c4066f6", 8: "06228652c7bac27dd27a4944",
        9: "15c608cbd5df34290d86e3d0", 10: "aa49e4894426ec400c066556",
        11: "b98dc3fe79a18adaaeacf2cd", 12: "6a5c1ff47c3b69fe41c169e8",
        13: "f3f6521ca166c983c8e8bc73", 14: "298cc02af3870b2d71d4f35c",
        15: "bc8745eb8646807c4a3d5205", 16: "f3d047e1895bd0ed1c6fe30b",
        17: "0246dce9b0a12f4304e8be50",
        18: "f7d37f364c21e828476dfbd9",
        19: "e4c73b932d007be63f47470b",
        20: "ad0ea205345b7f57c66a9fed"}


def runs_digest() -> str:
    golden = json.loads(GOLDEN.read_text())
    parts = sorted((key, run["events"], run["log"], run["hits"], run["state_hash"]) for key, run in golden.items())
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:24]


def test_the_shipped_runs_are_the_model_revisions_runs() -> None:
    assert runs_digest() == RUNS.get(MODEL), (
        f"tests/golden_runs.json now pins other runs (digest {runs_digest()}) than model revision {MODEL} "
        f"({RUNS.get(MODEL)}). If a modelled behaviour changed, or a world field was added, removed or "
        "changed meaning without a conversion on load, bump MODEL in msidbg/model/revision.py (and say "
        "what changed there), add the new digest here under it and regenerate snapshots/ "
        "(python snapshots/make.py). If only scenarios were added, or the change is a layout the "
        f"snapshot loader converts, replace revision {MODEL}'s digest here.")


def test_the_revision_is_a_positive_integer() -> None:
    assert type(MODEL) is int and MODEL >= 1 and max(RUNS) == MODEL
