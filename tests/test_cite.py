"""Citations: programs keep their sources as given; readings are confirmed with a quote, or hypothetical."""

from __future__ import annotations

import pytest

from msidbg.model import cite
from msidbg.model.cite import Source
from msidbg.sim import program as P

SRC = Source("torvalds/linux", "v6.6", "drivers/pci/msi/msi.c", "msix_capability_init", "5.14..")


def test_program_stores_one_source_or_a_tuple_as_given() -> None:
    other = Source("xen-project/xen", "RELEASE-4.6.0", "xen/arch/x86/msi.c", "guest_mask_msi_irq", "4.6..")
    try:
        one = P.program("cite_test_one", "doc", source=SRC)
        two = P.program("cite_test_two", source=(SRC, other))
        none = P.program("cite_test_none")
        assert (one.sources, two.sources, none.sources) == ((SRC,), (SRC, other), ())
    finally:
        for name in ("cite_test_one", "cite_test_two", "cite_test_none"):
            P.PROGRAMS.pop(name, None)
            P.NSTEPS.pop(name, None)


def test_readings_are_confirmed_with_a_source_and_quote_or_hypothetical(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cite, "READINGS", {})
    cite.reading("t.ok", "a reading", source=SRC, quote="a short quote")
    cite.reading("t.hyp", "a guess", status="hypothetical")
    assert cite.problems() == []
    cite.reading("t.bare", "no source given")
    assert cite.problems() == ["reading t.bare: confirmed needs a source and a quote (or status='hypothetical')"]
    with pytest.raises(ValueError, match="twice"):
        cite.reading("t.ok", "again", status="hypothetical")
    with pytest.raises(ValueError, match="status"):
        cite.reading("t.x", "x", status="probably")


def test_source_reads_as_one_line() -> None:
    assert str(SRC) == "torvalds/linux@v6.6: drivers/pci/msi/msi.c msix_capability_init() [5.14..]"
