"""Catalogue errors: each carries a human message (Chinese) the desk, API and CLI can show."""

from __future__ import annotations


class CatalogError(Exception):
    code = "catalog_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidRecord(CatalogError):
    code = "invalid_record"

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class DuplicateRecord(CatalogError):
    code = "duplicate_record"

    def __init__(self, message: str, existing_id: int) -> None:
        super().__init__(message)
        self.existing_id = existing_id


class DuplicateBarcode(CatalogError):
    code = "duplicate_barcode"


class DuplicateAccessionNumber(CatalogError):
    code = "duplicate_accession_number"
