"""`civicdesk guardrails eval` and `eval-output`: measure the input guard on labelled messages
and the output policy on labelled answers."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from civicdesk.cli.common import console, settings
from civicdesk.cli.main import app

guardrails_app = typer.Typer(help="Measure the guardrails.", no_args_is_help=True)
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
        typer.Option(
            min=0.0,
            max=1.0,
            help="Classifier threshold to try instead of the guardrail_threshold setting.",
        ),
    ] = None,
    no_classifier: Annotated[
        bool, typer.Option("--no-classifier", help="Leave the trained classifier out.")
    ] = False,
    no_nonsense: Annotated[
        bool, typer.Option("--no-nonsense", help="Leave nonsense detection out.")
    ] = False,
    misses: Annotated[
        bool, typer.Option("--misses", help="List the messages the guard got wrong.")
    ] = False,
) -> None:
    """Report precision, recall and false refusals per category, and latency per message."""
    from civicdesk.assistant.guardrails import build_input_guard
    from civicdesk.assistant.guardrails.evaluation import read_set, run_guard, score, to_markdown
    from civicdesk.assistant.routing import load_rules

    examples = read_set(cases)
    configured = settings()
    guard = build_input_guard(
        load_rules(configured.assistant_rules_path),
        threshold=configured.guardrail_threshold if threshold is None else threshold,
        classifier=not no_classifier,
        nonsense=not no_nonsense,
    )
    _print(score(run_guard(guard, examples)), to_markdown, as_json=as_json, misses=misses)


@guardrails_app.command("eval-output")
def evaluate_output(
    cases: Annotated[
        Path, typer.Argument(help="Labelled answers, JSON Lines.", exists=True, dir_okay=False)
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON instead of Markdown.")
    ] = False,
    misses: Annotated[
        bool, typer.Option("--misses", help="List the answers the policy got wrong.")
    ] = False,
) -> None:
    """Report precision, recall and false blocks of the output policy, per category."""
    from civicdesk.assistant.guardrails.evaluation import (
        output_to_markdown,
        read_output_set,
        run_output_policy,
        score_output,
    )
    from civicdesk.assistant.guardrails.output import load_output_policy

    examples = read_output_set(cases)
    policy = load_output_policy(settings().output_rules_path)
    report = score_output(run_output_policy(policy, examples))
    _print(report, output_to_markdown, as_json=as_json, misses=misses)


def _print(
    report: dict[str, Any],
    markdown: Callable[..., str],
    *,
    as_json: bool,
    misses: bool,
) -> None:
    """The report as JSON (misses only when asked) or as Markdown."""
    if as_json:
        if not misses:
            report.pop("misses")
        console.print_json(json.dumps(report, ensure_ascii=False))
        return
    console.print(markdown(report, show_misses=misses), markup=False, highlight=False)
