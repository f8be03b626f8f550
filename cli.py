"""backproof's command line: parse arguments, run the engine, render what it found."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy
import sympy
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from derivations import ALL, BY_ID
from verifier import DerivationResult, StepResult, __version__, verify
from verifier.context import DEFAULT_BUDGET_SECONDS
from verifier.latex import document
from verifier.matrix import is_matrix, shape_text
from verifier.model import Derivation
from verifier.reader.check import CheckedFile, check_files, check_report, exit_code
from verifier.serialize import counted, report, summary, summary_line
from verifier.texbuild import TEX_HINT, compile_pdf, tex_engine, write_atomically
from verifier.verify import verify_all

VERDICT_STYLE = {"proved": "green", "refuted": "red", "unproved": "yellow"}


class UsageError(Exception):
    """Bad input from the user: exit code 2."""


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line as a namespace."""
    parser = argparse.ArgumentParser(prog="backproof", description="Verify the derivations behind backpropagation.")
    commands = parser.add_subparsers(dest="command", required=True)
    check = add_selection(commands.add_parser("verify", help="verify derivations and print a table"))
    check.add_argument("--json", action="store_true", help="print a JSON document instead of the table")
    report = add_selection(commands.add_parser("report", help="write a LaTeX report and compile it to PDF"))
    report.add_argument("-o", "--output", type=Path, default=Path("report"), help="folder (default: report/)")
    pdf = report.add_mutually_exclusive_group()
    pdf.add_argument("--pdf", dest="pdf", action="store_true", default=None, help="require the PDF")
    pdf.add_argument("--no-pdf", dest="pdf", action="store_false", help="write only the .tex")
    show = commands.add_parser("show", help="show every step of one derivation with its verdict")
    show.add_argument("id", metavar="ID")
    show.add_argument("--budget", type=float, default=DEFAULT_BUDGET_SECONDS, help=argparse.SUPPRESS)
    commands.add_parser("list", help="list the derivations")
    files = commands.add_parser("check", help="check the derivations in your own Markdown files")
    files.add_argument("files", nargs="+", type=Path, metavar="FILE", help="Markdown files with $$ ... $$ blocks")
    files.add_argument("--json", action="store_true", help="print a JSON document instead of the table")
    files.add_argument("--report", type=Path, metavar="DIR", help="also write the LaTeX/PDF report to DIR")
    files.add_argument("--budget", type=float, default=DEFAULT_BUDGET_SECONDS,
                       help="seconds per step for the provers (default: %(default)s)")
    files.add_argument("--jobs", type=int, default=None, help="processes to verify in")
    return parser.parse_args(argv)


def add_selection(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The options shared by commands that verify a selection of derivations."""
    parser.add_argument("ids", nargs="*", metavar="ID", help="derivation ids (default: all)")
    parser.add_argument("--note", help="only the derivations of this note (file name or its number, e.g. 002)")
    parser.add_argument("--budget", type=float, default=DEFAULT_BUDGET_SECONDS,
                        help="seconds per step for the provers (default: %(default)s)")
    parser.add_argument("--jobs", type=int, default=None,
                        help="processes to verify in (default: one per core, up to 4)")
    return parser


def select(ids: Sequence[str], note: str | None) -> list[Derivation]:
    """The derivations named by id and/or note; UsageError for names that do not exist."""
    unknown = [i for i in ids if i not in BY_ID]
    if unknown:
        raise UsageError(f"unknown derivation id(s): {', '.join(unknown)}\nknown ids: {', '.join(BY_ID)}")
    chosen = [BY_ID[i] for i in ids] if ids else list(ALL)
    if note is not None:
        chosen = [d for d in chosen if d.note == note or d.note.startswith(f"{note}_")]
        notes = sorted({d.note for d in ALL})
        if not chosen:
            raise UsageError(f"no derivation from note {note!r}\nknown notes: {', '.join(notes)}")
    return chosen


def run_all(derivations: list[Derivation], args: argparse.Namespace, console: Console) -> list[DerivationResult]:
    """Verify each derivation, with a progress bar on the console."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    # no refresh thread: worker processes are forked, and a fork must not copy a lock a thread holds
    with Progress(
        *columns, console=console, transient=True, auto_refresh=False, disable=not console.is_terminal
    ) as progress:
        task = progress.add_task("verifying", total=len(derivations))

        def advance(result: DerivationResult) -> None:
            progress.update(task, advance=1, description=f"verified {result.derivation.id}", refresh=True)

        return verify_all(derivations, args.budget, args.jobs, advance)


def numeric_cell(result: DerivationResult) -> Text:
    """Max relative error of the numeric check, coloured by pass/fail."""
    numeric = result.numeric
    if numeric is None:
        return Text("n/a", style="dim")
    return Text(f"{numeric.max_rel_error:.1e}", style="green" if numeric.passed else "red")


def results_table(results: list[DerivationResult]) -> Table:
    """One row per derivation."""
    table = Table(title="backproof verify")
    for name in ("id", "note", "steps", "proved", "errors found", "unproved", "unexpected", "numeric max err", "time"):
        table.add_column(name, justify="left" if name in ("id", "note") else "right")
    for r in results:
        table.add_row(
            r.derivation.id,
            r.derivation.note[:3],
            str(len(r.steps)),
            str(r.count("proved")),
            Text(str(r.errors_found), style="bold red" if r.errors_found else ""),
            Text(str(r.count("unproved")), style="yellow" if r.count("unproved") else ""),
            Text(str(r.unexpected), style="bold red" if r.unexpected else "green"),
            numeric_cell(r),
            f"{r.seconds:.2f}s",
        )
    return table


def show(result: DerivationResult, console: Console) -> None:
    """Every step of one derivation with its verdict."""
    d = result.derivation
    console.print(f"[bold]{escape(d.id)}[/bold]: {escape(d.title)}")
    lines = [f"note {d.note}, {d.where}", "symbols: " + "; ".join(d.symbols_described())]
    lines += [f"where {symbol} = {meaning}" for symbol, meaning in d.definitions]
    lines += [f"constraint: {c.statement}" for c in d.constraints]
    lines += [f"kink convention: {d.kink.describe()}"] if d.kink is not None else []
    lines += [f"remarks: {d.remarks}"] if d.remarks else []
    if d.variable is None:
        lines.append(f"starts from: {d.function}")
    else:
        lines.append(f"derivative of: {d.function} in {d.variable}")
    for line in lines:
        console.print(line, markup=False, highlight=False)
    for r in result.steps:
        show_step(r, console)
    show_numeric(result, console)


def show_step(r: StepResult, console: Console) -> None:
    """One step: line as written, expression, verdict and evidence."""
    v = r.verdict
    mark = "" if r.as_expected else "  [bold red]UNEXPECTED[/bold red]"
    console.print()
    console.print(
        f"[bold]step {r.index}[/bold] ({r.step.expected}) "
        f"[{VERDICT_STYLE[v.verdict]}]{v.verdict}[/] by {v.method} in {v.seconds * 1000:.0f} ms{mark}",
        highlight=False,
    )
    console.print("  as written:    ", r.step.latex or "(not in the note: added by backproof)", markup=False)
    label = f"expression ({shape_text(r.step.expr)}):" if is_matrix(r.step.expr) else "expression:"
    console.print(f"  {label:<15}", str(r.step.expr), markup=False)
    console.print("  justification: ", r.step.justification, markup=False)
    if r.step.explanation:
        console.print("  what is wrong: ", r.step.explanation, markup=False)
    if v.shape_error is not None:
        console.print("  shape error:   ", v.shape_error, markup=False)
    if v.counterexample is not None:
        console.print("  counterexample:", f"[{v.counterexample.region}]", v.counterexample.describe(), markup=False)


def show_numeric(result: DerivationResult, console: Console) -> None:
    """The numeric cross-check and the kink check."""
    numeric = result.numeric
    console.print()
    if numeric is None:
        console.print("numeric check: n/a (not a derivative)")
        return
    verdict = "[green]passed[/green]" if numeric.passed else "[red]FAILED[/red]"
    console.print(f"numeric check: {verdict}, {numeric.method}, {numeric.points} points, "
                  f"max relative error {numeric.max_rel_error:.2e} (tolerance {numeric.tolerance:.0e})")
    if numeric.kink is not None:
        k = numeric.kink
        console.print(f"at the kink {k.at}: left derivative {k.left:.6g}, right {k.right:.6g}"
                      f"{', the function jumps' if k.jump else ''}; convention {k.convention}", markup=False)


def list_derivations(console: Console) -> None:
    """Ids, titles, notes."""
    table = Table(title="backproof derivations")
    for name in ("id", "title", "note", "where"):
        table.add_column(name)
    for d in ALL:
        table.add_row(d.id, d.title, d.note, d.where)
    console.print(table)


def write_report(results: list[DerivationResult], args: argparse.Namespace, console: Console) -> int:
    """Write DIR/report.tex, then the PDF when a TeX engine is there; 0 when what was asked for exists."""
    tex = args.output / "report.tex"
    versions = {"backproof": __version__, "SymPy": sympy.__version__, "NumPy": numpy.__version__}
    write_atomically(tex, document(results, versions, datetime.date.today().isoformat()))
    console.print(f"wrote {tex}", highlight=False)
    if args.pdf is False:
        return 0
    engine = tex_engine()
    if engine is None:
        console.print(f"no TeX engine (latexmk or pdflatex) found; for the PDF, on Debian: {TEX_HINT}",
                      highlight=False)
        return 1 if args.pdf else 0
    built = compile_pdf(tex, engine)
    if built.pdf is None:
        console.print(f"LaTeX failed: {built.error}; the log is kept in {built.log}", markup=False, highlight=False)
        return 1
    console.print(f"wrote {built.pdf}", highlight=False)
    return 0


def check_table(checked: CheckedFile) -> Table:
    """One row per step of every derivation in a file, and one per block that could not be read."""
    table = Table(title=str(checked.document.path), title_justify="left", expand=False)
    for name in ("where", "step as written", "verdict", "method"):
        table.add_column(name, overflow="fold")
    rows: list[tuple[int, list[Text | str]]] = []
    for read, result in checked.results:
        heading = Text(f"{result.derivation.id}: {result.derivation.title}", style="bold")
        rows.append((read.heading_line, [f"{read.path}:{read.heading_line}", heading, numeric_verdict(result), ""]))
        for where, step in zip(read.steps, result.steps, strict=True):
            verdict = step.verdict
            text = Text(step.step.latex or "")
            if step.step.justification:
                text.append(f"   ({step.step.justification})", style="dim")
            if verdict.counterexample is not None:
                text.append(f"\ncounterexample: {verdict.counterexample.describe()}", style="red")
            cells = [f"{read.path}:{where.line}:{where.column}", text,
                     Text(verdict.verdict, style=VERDICT_STYLE[verdict.verdict]), verdict.method]
            rows.append((where.line, cells))
    for error in checked.document.errors:
        rows.append((error.line, [f"{error.path}:{error.line}:{error.column}", Text(error.message, style="red"),
                                  Text("unreadable", style="bold red"), ""]))
    for _, cells in sorted(rows, key=lambda row: row[0]):
        table.add_row(*cells)
    return table


def numeric_verdict(result: DerivationResult) -> Text:
    """The numeric check of a derivation's last step, in a few words."""
    numeric = result.numeric
    if numeric is None:
        return Text("no derivative", style="dim")
    if numeric.passed:
        return Text(f"numeric ok ({numeric.max_rel_error:.0e})", style="green")
    return Text(f"numeric FAILED ({numeric.max_rel_error:.1e})", style="red")


def check_summary_line(counts: dict[str, int]) -> str:
    """`N derivations, S steps: P proved, R refuted, U unproved; B blocks could not be read`."""
    return (f"{counted(counts['derivations'], 'derivation')}, {counted(counts['steps'], 'step')}: "
            f"{counts['proved']} proved, {counts['refuted']} refuted, {counts['unproved']} unproved; "
            f"{counted(counts['unreadable'], 'block')} could not be read")


def run_check(args: argparse.Namespace, console: Console, errors: Console) -> int:
    """`backproof check FILE...`: the table (or JSON) for each file, the summary, the exit code."""
    missing = [str(f) for f in args.files if not f.is_file()]
    if missing:
        raise UsageError(f"no such file: {', '.join(missing)}")
    checked = check_files(args.files, args.budget, args.jobs)
    document = check_report(checked)
    if args.json:
        print(json.dumps(document, indent=2))
    else:
        for file in checked:
            console.print(check_table(file))
        console.print(check_summary_line(document["summary"]), highlight=False)
    code = exit_code(checked)
    if args.report is not None:
        results = [result for file in checked for _, result in file.results]
        report_args = argparse.Namespace(output=args.report, pdf=None)
        code = max(code, write_report(results, report_args, errors))
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code (0 all as expected, 1 otherwise, 2 usage error)."""
    args = parse_args(argv)
    # piped output is 200 columns wide unless BACKPROOF_WIDTH says otherwise
    setting = os.environ.get("BACKPROOF_WIDTH", "")
    width = int(setting) if setting.isdigit() and int(setting) > 0 else 200
    console = Console(width=None if sys.stdout.isatty() else width)
    errors = Console(stderr=True, soft_wrap=True)  # a message is one line, never wrapped
    try:
        if getattr(args, "budget", 0) < 0:
            raise UsageError(f"the budget must be zero or more seconds, not {args.budget}")
        if (getattr(args, "jobs", None) or 1) < 1:
            raise UsageError(f"--jobs must be at least 1, not {args.jobs}")
        if args.command == "check":
            return run_check(args, console, errors)
        if args.command == "list":
            list_derivations(console)
            return 0
        if args.command == "show":
            result = verify(select([args.id], None)[0], args.budget)
            show(result, console)
            return 0 if result.ok else 1
        derivations = select(args.ids, args.note)
    except UsageError as problem:
        errors.print(f"backproof: {problem}", markup=False, highlight=False)
        return 2
    results = run_all(derivations, args, errors)
    if args.command == "report":
        return write_report(results, args, errors)
    if args.json:
        print(json.dumps(report(results), indent=2))
    else:
        console.print(results_table(results))
        console.print(summary_line(summary(results)), highlight=False)
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
