"""`civicdesk guardrails eval`: measure the input guard on a labelled set of messages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from civicdesk.cli.common import console, settings
from civicdesk.cli.main import app

guardrails_app = typer.Typer(help="Measure the input guardrails.", no_args_is_help=True)
app.add_typer(guardrails_app, name="guardrails")


@guardrails_app.command("eval")
def evaluate(
    cases: Annotated[
        Path, typer.Argument(help="Labelled messages, JSON Lines.", exists=True, dir_okay=False)
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON instead of Markdown.")
    ] = False,
    threshold: Annotated[
        float | None,
        typer.Option(min=0.0, max=1.0, help="Classifier threshold to try instead of the default."),
    ] = None,
    no_classifier: Annotated[
        bool, typer.Option("--no-classifier", help="Measure the rules layer alone.")
    ] = False,
    misses: Annotated[
        bool, typer.Option("--misses", help="List the messages the guard got wrong.")
    ] = False,
) -> None:
    """Report precision, recall and false refusals per category, and latency per message."""
    from civicdesk.assistant.guardrails import build_input_guard
    from civicdesk.assistant.guardrails.evaluation import read_set, run_guard, score, to_markdown
    from civicdesk.assistant.guardrails.guard import CLASSIFIER_THRESHOLD
    from civicdesk.assistant.routing import load_rules

    examples = read_set(cases)
    guard = build_input_guard(
        load_rules(settings().assistant_rules_path),
        threshold=CLASSIFIER_THRESHOLD if threshold is None else threshold,
        classifier=not no_classifier,
    )
    report = score(run_guard(guard, examples))
    if as_json:
        if not misses:
            report.pop("misses")
        console.print_json(json.dumps(report, ensure_ascii=False))
        return
    console.print(to_markdown(report, show_misses=misses), markup=False, highlight=False)
