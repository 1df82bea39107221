"""Build errors of the report renderer: every problem names the page, the line and the cause."""

from __future__ import annotations

from dataclasses import dataclass


class PageError(Exception):
    """A problem at a line of the page being processed; the page path is added by the caller."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


@dataclass(frozen=True)
class BuildProblem:
    """One located problem: `path:line: message`."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class ReportBuildError(Exception):
    """The site could not be built; `problems` lists every located cause."""

    def __init__(self, problems: list[BuildProblem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))

    @classmethod
    def at(cls, path: str, line: int, message: str) -> ReportBuildError:
        return cls([BuildProblem(path, line, message)])
