"""Queues as data: the built-in file, a deployment's own file, and placing cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicdesk.casework.queues import load_queues
from civicdesk.casework.status import Priority
from civicdesk.errors import ConfigError

BOOK = load_queues()


@pytest.mark.parametrize(
    ("reasons", "text", "pages", "queue", "priority"),
    [
        (["crisis:self_harm"], "about my council tax", [], "safeguarding", Priority.CRISIS),
        (["handover:complaint"], "my council tax bill", [], "complaints", Priority.NORMAL),
        (["no_relevant_guidance"], "My Council  Tax bill", [], "council_tax", Priority.NORMAL),
        (
            ["no_relevant_guidance"],
            "question",
            ["https://www.aberwen.gov.uk/housing/damp-and-mould#report"],
            "housing",
            Priority.NORMAL,
        ),
        (
            ["handover:own_case"],
            "where is my bin",  # words beat pages
            ["https://www.aberwen.gov.uk/housing/apply-for-housing"],
            "waste",
            Priority.NORMAL,
        ),
        (
            ["no_relevant_guidance"],
            "question",
            [
                "https://x.gov.uk/contact-us",
                "https://x.gov.uk/parking/x",
                "https://x.gov.uk/schools",
            ],
            "parking",  # the best two pages only
            Priority.NORMAL,
        ),
        (["handover:asks_for_person"], "something else", [], "general", Priority.NORMAL),
        (["no_relevant_guidance"], "We have no money for food", [], "general", Priority.VULNERABLE),
        (
            ["no_relevant_guidance"],
            "my landlord is evicting us",
            [],
            "housing",
            Priority.VULNERABLE,
        ),
    ],
)
def test_placement(
    reasons: list[str], text: str, pages: list[str], queue: str, priority: Priority
) -> None:
    placed = BOOK.place(reasons, text, pages)
    assert (placed.queue.key, placed.priority) == (queue, priority)


def test_every_built_in_queue_has_an_sla_and_the_default_exists() -> None:
    assert BOOK.default.key == "general"
    assert all(q.sla_working_days >= 1 for q in BOOK.queues)
    assert BOOK.get("safeguarding") is not None and BOOK.get("nope") is None


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "queues.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_deployments_own_file(tmp_path: Path) -> None:
    book = load_queues(
        write(
            tmp_path,
            "version: 1\ndefault: all\nqueues:\n"
            "  - {key: roads, title: Roads, sla_working_days: 3, match: {words: [pothole]}}\n"
            "  - {key: all, title: Everything else, sla_working_days: 10}\n"
            "vulnerable:\n  - {name: age, patterns: ['\\b9\\d years old']}\n",
        )
    )
    placed = book.place([], "A pothole outside, I am 93 years old", [])
    assert (placed.queue.key, placed.priority, placed.marker) == ("roads", 1, "age")


@pytest.mark.parametrize(
    ("text", "code", "says"),
    [
        ("version: 1\ndefault: x\nqueues: [}", "E711", "not valid YAML"),
        (
            "version: 1\ndefault: x\nqueues:\n  - {key: y, title: Y, sla_working_days: 1}\n",
            "E712",
            "default queue 'x' is not listed",
        ),
        (
            "version: 1\ndefault: y\nqueues:\n  - {key: y, title: Y, sla_working_days: -1}\n",
            "E712",
            "sla_working_days",
        ),
        (
            "version: 1\ndefault: y\nqueues:\n  - {key: y, title: Y, sla_working_days: 1, "
            "match: {words: ['(']}}\n",
            "E712",
            "bad pattern",
        ),
        (
            "version: 1\ndefault: y\nqueues:\n  - {key: y, title: Y, sla_working_days: 1}\n"
            "  - {key: y, title: Z, sla_working_days: 1}\n",
            "E712",
            "used twice",
        ),
    ],
)
def test_a_bad_file_is_one_clear_error(tmp_path: Path, text: str, code: str, says: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_queues(write(tmp_path, text))
    assert error.value.code == code and says in error.value.message


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        load_queues(tmp_path / "absent.yaml")
    assert error.value.code == "E710"
