"""The demo shop (a clinic, a barbershop and a gym in Berlin) as an import file."""

from pathlib import Path

DEMO_FILE = Path(__file__).parent / "clinic.yaml"
