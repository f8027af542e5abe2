"""The YAML import: the file format (``format``), its validated shape (``spec``) and
the all-or-nothing, idempotent import (``importer``)."""

from slotbot.core.importing.importer import (
    Counts,
    ImportFileError,
    ImportIssue,
    ImportReport,
    ImportSpec,
    apply_import,
    import_file,
    load_import_file,
    parse_import_data,
    parse_import_text,
)

__all__ = [
    "Counts",
    "ImportFileError",
    "ImportIssue",
    "ImportReport",
    "ImportSpec",
    "apply_import",
    "import_file",
    "load_import_file",
    "parse_import_data",
    "parse_import_text",
]
