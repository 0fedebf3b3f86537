"""Coded errors that operators see.

Every error an operator can meet carries a stable code and one sentence that says what to do,
so the CLI and the web shell can print a single clear line instead of a traceback.
"""

from __future__ import annotations

from pydantic import ValidationError


class CivicdeskError(Exception):
    """An error with a stable code and advice on what to do about it."""

    code: str = "E000"

    def __init__(self, message: str, *, hint: str = "", code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        text = f"{self.code}: {self.message}"
        return f"{text} {self.hint}" if self.hint else text


def describe_validation(exc: ValidationError, whole: str = "file") -> str:
    """Every problem pydantic found, as "where: what" joined by "; ", for one error line."""
    return "; ".join(
        f"{'.'.join(str(part) for part in err['loc']) or whole}: {err['msg']}"
        for err in exc.errors()
    )


class ConfigError(CivicdeskError):
    """Settings are missing, malformed or unsafe."""

    code = "E100"


class StorageError(CivicdeskError):
    """The database cannot be reached or is not in the expected state."""

    code = "E200"


class AuditChainBroken(CivicdeskError):
    """The audit trail's hash chain does not verify."""

    code = "E300"


class AssetsMissing(CivicdeskError):
    """The front-end assets have not been built."""

    code = "E400"


class InputRejected(CivicdeskError):
    """Input that civicdesk will not process, with a reason a citizen can act on."""

    code = "E500"
