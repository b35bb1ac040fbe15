"""Modal screens: help, prompts (goto, run to time, breakpoint, save, bookmark), bookmarks."""
