"""Bug reports in and out: scenario skeletons from lspci/dmesg, the scenario JSON Schema,
plain-text reports with an inline snapshot, Perfetto traces and the TUI in a browser.

Each command lives in its own module; ``cli.py`` only registers them (``commands.py``).
"""
