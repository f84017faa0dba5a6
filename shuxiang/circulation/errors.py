"""Circulation refusals. Each has the API's error code and a Chinese message that the desk,
the API and the SIP2 kiosk all show as it is."""

from __future__ import annotations


class CirculationError(Exception):
    code = "circulation_error"
    status = 422

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = str(message)


class ItemNotFound(CirculationError):
    code = "item_not_found"
    status = 404


class NotForLoan(CirculationError):
    code = "not_for_loan"


class AlreadyOnLoan(CirculationError):
    code = "already_on_loan"
    status = 409


class LimitReached(CirculationError):
    code = "limit_reached"


class PatronBlocked(CirculationError):
    code = "patron_blocked"
    status = 403


class HeldForOther(CirculationError):
    code = "held_for_other"
    status = 409


class OutsideSlot(CirculationError):
    code = "outside_slot"
    status = 403


class NotOnLoan(CirculationError):
    code = "not_on_loan"
    status = 409


class RenewalLimit(CirculationError):
    code = "renewal_limit"


class OnHold(CirculationError):
    code = "on_hold"
    status = 409


class HoldRefused(CirculationError):
    code = "hold_refused"


class CannotUndo(CirculationError):
    code = "cannot_undo"
    status = 409


class CompensationError(CirculationError):
    code = "compensation_error"
