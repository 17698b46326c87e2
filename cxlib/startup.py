"""Start-up of the kit's own processes: what can be left out without hiding any error.

Applied only in processes the kit owns (the ``cx`` command, batch workers), never when
cxlib is imported into someone else's Python session.
"""

from __future__ import annotations

import sys

__all__ = ["skip_iri_format_checks"]


def skip_iri_format_checks() -> None:
    """Keep jsonschema from importing rfc3987-syntax (about 1.7 s per process).

    jsonschema imports rfc3987-syntax, when installed, only to check the ``iri`` and
    ``iri-reference`` string formats; nbformat's notebook schemas use no string format at
    all (a test checks this), so notebook validation is unchanged. Takes effect only when
    jsonschema has not been imported yet.
    """
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
