"""What the scripts that rewrite one section of VALIDATION.md share: a markdown table, and the
rewrite itself (the section from its heading to the next '## ', the rest kept)."""

from __future__ import annotations

from pathlib import Path

REPORT = Path(__file__).resolve().parent.parent / "VALIDATION.md"


def table(header: list[str], rows: list[list[str]]) -> str:
    return "\n".join(["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] +
                     ["| " + " | ".join(r) + " |" for r in rows])


def replace_section(text: str, heading: str, body: str) -> str:
    """`text` with the section that starts at `heading` (up to the next '## ') replaced by `body`,
    or `body` appended when the section is not there yet."""
    if heading not in text:
        return text.rstrip() + "\n\n" + body
    head, rest = text.split(heading, 1)
    tail = rest.split("\n## ", 1)
    return head + body + ("\n## " + tail[1] if len(tail) > 1 else "")


def rewrite(heading: str, body: str) -> None:
    """Put `body` in place of VALIDATION.md's section `heading`."""
    REPORT.write_text(replace_section(REPORT.read_text(encoding="utf-8"), heading, body), encoding="utf-8")
    print(f"wrote {heading} into {REPORT}")
