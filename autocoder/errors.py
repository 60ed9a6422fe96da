"""Errors that reach the user: each says what went wrong and where."""


class AutocoderError(Exception):
    """Base class; the CLI prints these as one line, never as a traceback."""


class InputError(AutocoderError):
    """Bad input: a file or record that cannot be used as it is."""

    def __init__(self, message: str, *, source: str | None = None, line: int | None = None):
        self.message = message
        self.source = source
        self.line = line
        where = ""
        if source is not None:
            where = f"{source}:{line}: " if line is not None else f"{source}: "
        super().__init__(where + message)

    def with_source(self, source: str) -> "InputError":
        """The same error naming the input as `source`: the name its sender knows it by (an upload's own file
        name, not the path it was saved under)."""
        return type(self)(self.message, source=source, line=self.line)


class CodebookError(InputError):
    """A codebook file that does not have the expected shape, or an unknown code."""
