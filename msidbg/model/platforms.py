"""The Xen side of the model (hypervisor, QEMU xen-pt, the guest's Xen frontend, their citations), imported on
first use; and the hardware modules' citations (``hwcite``), which only a full listing of readings reads.

A bare-metal run never needs it: ``build.build_world`` loads it for a ``xen-*`` platform, and every registry
that lists all of something (event kinds: ``sim.events.on_missing``; kernel programs, citations) loads it
before it answers. Loading it later than the bare-metal modules changes nothing a run can see: the event
kinds' codes are fixed by ``kinds.ORDER``, its registries are keyed by platform, route, chip or program
(``xenreg.register``), and the end-of-run hook and world builders it adds keep their order relative to each
other (the bare-metal builders it now follows act on other routes only: ``iommu.build``, ``amdvi.build``).
"""

from __future__ import annotations

_LOADED: list[bool] = []


def load_xen() -> None:
    """Import and register the Xen platforms (idempotent)."""
    if _LOADED:
        return
    _LOADED.append(True)
    import msidbg.model as M
    from msidbg.model import xenreg
    from msidbg.model.kernel import xen, xen_events  # noqa: F401  (the guest's Xen frontend: its programs)

    xenreg.register(M.AGENDA_HANDLERS, M.FINISH_HOOKS)


def load_all() -> None:
    """Every platform's modules and every citation: for whatever lists all programs, readings, module citations
    or event kinds (``fidelity``, ``cite.problems``, completion, ``call`` breakpoints)."""
    load_xen()
    from msidbg.model import hwcite  # noqa: F401  (the hardware modules' citations: registered, never read by a run)


def loaded() -> bool:
    return bool(_LOADED)
