"""The `slotbot` command: argument parsing and table output."""
