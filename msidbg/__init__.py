"""msidbg: a terminal debugger for MSI/MSI-X interrupt state machines."""

from .errors import DivergenceError, MsidbgError, ScenarioError, SnapshotError

__version__ = "0.1.0"

__all__ = ["DivergenceError", "MsidbgError", "ScenarioError", "SnapshotError", "__version__"]
