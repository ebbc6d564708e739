"""Errors that end a command with a one-line message and a stable exit code."""

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3


class AdvisorError(Exception):
    """Base class: the message is shown to the user as one line."""

    exit_code = EXIT_USAGE


class UsageError(AdvisorError):
    """Bad command line, URL, flag value or config file (exit 2)."""

    exit_code = EXIT_USAGE


class TargetUnreachable(AdvisorError):
    """Could not connect or authenticate (exit 3)."""

    exit_code = EXIT_UNREACHABLE


class TargetLost(Exception):
    """The connection broke in the middle of a run: the report is partial."""


class FactUnavailable(Exception):
    """A fact cannot be read (privilege, extension, version, not in snapshot).

    `reason` says why; `enable` says what would make it readable. Checks that
    need the fact are reported as skipped with both.
    """

    def __init__(self, reason: str, enable: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.enable = enable

    def describe(self) -> str:
        return f"{self.reason}; {self.enable}" if self.enable else self.reason


class Skip(FactUnavailable):
    """Raised by a check that decides it cannot judge (e.g. host memory unknown)."""
