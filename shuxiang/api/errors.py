"""The error answer every endpoint shares, so the OpenAPI document lists the 4xx each one gives.

Without them a client generated from the document knew only the happy status: a 404 for an
unknown barcode or a 422 for a bad page was, by the document, an answer that could not happen.
"""

from __future__ import annotations

from ninja import Schema


class ErrorOut(Schema):
    error: str
    message: str
    existing: int | None = None  # a duplicate record's id (409 duplicate_isbn …)


def errors(*codes: int) -> dict[int, type[ErrorOut]]:
    """response={200: X, **errors(401, 404)}: the statuses an operation can refuse with."""
    return dict.fromkeys(codes, ErrorOut)
