"""Patron errors: each carries a human message (Chinese by default) the desk, API, SIP2 and
the command line can show as it is."""

from __future__ import annotations


class PatronError(Exception):
    code = "patron_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = str(message)


class PatronNotFound(PatronError):
    code = "patron_not_found"


class CardRetired(PatronError):
    """The card was reported lost and replaced: the old number must never open the patron."""

    code = "card_retired"


class InvalidCardNumber(PatronError):
    code = "invalid_card_number"


class DuplicateCardNumber(PatronError):
    code = "duplicate_card_number"


class InvalidPatron(PatronError):
    code = "invalid_patron"

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class RolloverError(PatronError):
    code = "rollover_error"


class InvalidClass(PatronError):
    """A class that cannot be added or saved as asked; field names the form field to blame."""

    code = "invalid_class"

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class ErasureRefused(PatronError):
    code = "erasure_refused"
