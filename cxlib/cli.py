"""The ``cx`` command: a thin layer over :mod:`cxlib.run`.

Exit codes: 0 done; 1 the configuration or inputs are invalid; 2 usage error; 3 a step
failed (its executed notebook is kept in the run folder).
"""

from __future__ import annotations

import logging
import re
import shutil
import sys
from pathlib import Path

import click

from cxlib import __version__
from cxlib.config import check_engagement_name, kit_root
from cxlib.errors import ConfigError, CxError, InputError, StepFailed
from cxlib.startup import skip_iri_format_checks

__all__ = ["main"]

EXIT_INVALID = 1
EXIT_STEP_FAILED = 3


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    click.echo(f"cx {__version__} from {Path(__file__).resolve().parent}")
    click.echo(f"Python {sys.version.split()[0]}")
    ctx.exit()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the kit version, where it is installed, and the Python version.",
)
@click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    default="WARNING",
    show_default=True,
    help="How much the kit logs to the terminal.",
)
def cli(log_level: str) -> None:
    """Run a CX consulting engagement: validate inputs, run the playbooks, render reports.

    Start with the demo: cx demo. A new client: cx new clients/acme --name "Acme Telecom".
    """
    logging.basicConfig(level=log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    if log_level.upper() != "DEBUG":
        # jupyter_client's clean-up notices are not the consultant's concern.
        logging.getLogger("traitlets").setLevel(logging.ERROR)


def _fail(exc: CxError) -> None:
    """Print a kit error plainly and exit with its documented code."""
    if isinstance(exc, ConfigError | InputError):
        click.echo(click.style("Not valid: ", fg="red", bold=True) + str(exc), err=True)
        sys.exit(EXIT_INVALID)
    if isinstance(exc, StepFailed):
        click.echo(click.style("Step failed: ", fg="red", bold=True) + str(exc), err=True)
        click.echo(f"The executed notebook, with the error, is kept at {exc.notebook}", err=True)
        click.echo("The previous report (if any) is unchanged.", err=True)
        sys.exit(EXIT_STEP_FAILED)
    click.echo(click.style("Error: ", fg="red", bold=True) + str(exc), err=True)
    sys.exit(EXIT_INVALID)


@cli.command()
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--name", required=True, help="The client's name, as reports will show it.")
@click.option("--consultant", default="", help="Consultant or agency named in reports.")
def new(folder: Path, name: str, consultant: str) -> None:
    """Create a new engagement FOLDER from the client template.

    Copies engagement.yaml (commented), codeframe.yaml and inputs/ with a README per table.
    An existing folder is never overwritten.

    Example: cx new clients/acme --name "Acme Telecom"
    """
    try:
        check_engagement_name(folder)
        if folder.exists():
            raise CxError(f"{folder} already exists; choose a new folder (nothing was changed)")
        create_engagement(folder, name=name, consultant=consultant)
    except CxError as exc:
        _fail(exc)
    click.echo(f"Created {folder}")
    click.echo(f"Next: put the client's exports in {folder / 'inputs'}, fill in")
    click.echo(f"{folder / 'engagement.yaml'}, then run: cx validate {folder}")


def create_engagement(folder: Path, *, name: str, consultant: str = "") -> Path:
    """Copy the client template into ``folder`` and write the client's name into it."""
    template = kit_root() / "client_template"
    shutil.copytree(template, folder)
    config = folder / "engagement.yaml"
    text = config.read_text(encoding="utf-8")
    text = _set_client_field(text, "name", name)
    if consultant:
        text = _set_client_field(text, "consultant", consultant)
    config.write_text(text, encoding="utf-8")
    return folder


def _set_client_field(text: str, key: str, value: str) -> str:
    """Set ``client.<key>`` in the template's YAML text, keeping its comments."""
    quoted = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    value_re = r"""[ \t]*(?:"(?:[^"\\]|\\.)*"|'[^']*'|[^\n#]*?)(?=[ \t]*(?:#|\n|$))"""
    pattern = re.compile(
        rf"(^client:\s*\n(?:[ \t]+.*\n|[ \t]*#.*\n|\s*\n)*?[ \t]+{key}:){value_re}", re.M
    )
    new, count = pattern.subn(lambda m: f"{m.group(1)} {quoted}", text, count=1)
    if count != 1:
        raise CxError(f"the client template has no client.{key} setting")
    return new


@cli.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
def validate(folder: Path) -> None:
    """Check engagement.yaml and every input in FOLDER; list every problem at once.

    Each problem names the file, the row as a spreadsheet shows it, the column, what was
    expected and what was found. Nothing is written.

    Example: cx validate clients/acme
    """
    from cxlib import ingest

    report = ingest.validate(folder)
    for line in _repair_lines(report):
        click.echo(line)
    if report.problems:
        click.echo(click.style(f"{len(report.problems)} problem(s):", fg="red", bold=True))
        for problem in report.problems:
            click.echo(f"  - {problem}")
        sys.exit(EXIT_INVALID)
    counts = ", ".join(f"{t} {n:,}" for t, n in report.rows.items())
    click.echo(click.style("Valid. ", fg="green", bold=True) + f"Rows: {counts}.")


def _repair_lines(report: object) -> list[str]:
    repairs = getattr(report, "repairs", None)
    if repairs is None or len(repairs) == 0:
        return []
    summary = repairs.groupby("reason").size().sort_values(ascending=False)
    return ["Repairs made (the report states them):"] + [
        f"  - {reason}: {count:,}" for reason, count in summary.items()
    ]


def _parse_params(pairs: tuple[tuple[str, str], ...]) -> dict[str, object]:
    """Turn ``-p name value`` pairs into JSON-safe values; text stays text."""
    out: dict[str, object] = {}
    for name, value in pairs:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise click.BadParameter(f"{name!r} is not a valid parameter name", param_hint="-p")
        out[name] = _literal(value)
    return out


def _literal(value: str) -> object:
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    if re.fullmatch(r"-?(0|[1-9]\d*)", value):
        return int(value)
    if re.fullmatch(r"-?(0|[1-9]\d*)\.\d*[1-9]", value):
        return float(value)
    return value  # labels like 007 or 2024.10 stay text


def _show_step_help(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if not value or ctx.resilient_parsing:
        return
    from cxlib import run

    try:
        (step,) = run.select_steps([value])
    except CxError as exc:
        raise click.BadParameter(str(exc), param_hint="--help-step") from None
    click.echo(f"Parameters of {step.notebook} ({step.title}):")
    for name, info in run.declared_parameters(step).items():
        kind = info.get("inferred_type_name", "")
        note = info.get("help", "")
        click.echo(f"  {name} ({kind}) = {info.get('default')}  {note}".rstrip())
    ctx.exit()


@cli.command("run")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--step", "steps", multiple=True, help="Run only this step (repeatable).")
@click.option("--wave", default=None, help="Wave to analyse (default: the latest).")
@click.option(
    "-p",
    "--parameter",
    "params",
    nargs=2,
    multiple=True,
    metavar="NAME VALUE",
    help="Set a playbook parameter; unknown names are an error.",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Playbooks run side by side where their inputs allow (default: 2 on a machine "
    "with 2 or more cores; 1 runs them one after another).",
)
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a tty).")
@click.option(
    "--help-step",
    callback=_show_step_help,
    expose_value=False,
    is_eager=True,
    metavar="STEP",
    help="List a step's parameters and exit.",
)
def run_command(
    folder: Path,
    steps: tuple[str, ...],
    wave: str | None,
    params: tuple[tuple[str, str], ...],
    jobs: int | None,
    progress: bool | None,
) -> None:
    """Validate FOLDER, run the playbooks, and write the client report.

    Each run writes runs/<run-id>/ (clean tables, executed notebooks, results, run.json);
    the report in reports/ is replaced only when every step succeeds.

    Example: cx run clients/acme --step voc --wave 2027Q1
    """
    extra = _parse_params(params)
    _run_and_report(folder, steps=steps, wave=wave, params=extra, progress=progress, jobs=jobs)


def _run_and_report(
    folder: Path,
    *,
    steps: tuple[str, ...] = (),
    wave: str | None = None,
    params: dict[str, object] | None = None,
    progress: bool | None = None,
    jobs: int | None = None,
) -> None:
    from cxlib import run

    show = sys.stderr.isatty() if progress is None else progress
    try:
        record = run.run_engagement(
            folder,
            steps=list(steps),
            wave=wave,
            parameters=params,
            progress=show,
            parallel_steps=jobs or run.default_parallel_steps(),
        )
    except CxError as exc:
        _fail(exc)
    order = [s.key for s in run.STEPS]
    for entry in sorted(record.steps, key=lambda e: order.index(e["step"])):
        click.echo(f"  {entry['step']:<11} {entry['status']:<6} {entry['seconds']:6.1f} s")
    click.echo(f"  {'total':<11} {'':<6} {record.timings['total']:6.1f} s")
    click.echo(f"Report: {record.report}")


@cli.command()
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a tty).")
def demo(progress: bool | None) -> None:
    """Run the whole engagement on the synthetic demo client and print where the report is.

    The demo client (Northwind Mobile) lives in data/demo/; it needs no network.

    Example: cx demo
    """
    _run_and_report(kit_root() / "data" / "demo", progress=progress)


@cli.command("batch")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option("-j", "--jobs", type=click.IntRange(min=1), help="Clients at once (default: cores).")
@click.option(
    "--step", "--steps", "steps", multiple=True, help="Run only these steps (repeat, or a,b)."
)
@click.option("--wave", default=None, help="Wave to analyse (default: each client's latest).")
@click.option(
    "-p",
    "--parameter",
    "params",
    nargs=2,
    multiple=True,
    metavar="NAME VALUE",
    help="Set a playbook parameter for every client.",
)
@click.option("--resume", is_flag=True, help="Rerun only failed clients and changed inputs.")
@click.option("--dask", "use_dask", is_flag=True, help="Run on a local Dask cluster (127.0.0.1).")
@click.option("--scheduler", default=None, metavar="TCP://HOST:PORT", help="Dask scheduler.")
@click.option(
    "--cell-timeout", type=click.IntRange(min=1), default=600, show_default=True, help="Seconds."
)
@click.option(
    "--summary",
    "summary_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for batch-summary.csv/.html (default: SOURCE's folder).",
)
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a tty).")
def batch_command(
    source: Path,
    jobs: int | None,
    steps: tuple[str, ...],
    wave: str | None,
    params: tuple[tuple[str, str], ...],
    resume: bool,
    use_dask: bool,
    scheduler: str | None,
    cell_timeout: int,
    summary_dir: Path | None,
    progress: bool | None,
) -> None:
    """Run every engagement under SOURCE (a folder, or a file listing folders).

    Each client runs on its own: one client's failure never stops another's. Prints a
    summary (client, status, duration, failing step, error) and writes it as CSV and HTML.
    Exit codes: 0 all done; 1 only invalid configuration or inputs; 3 a step failed or a
    worker crashed; 130 interrupted (finished clients keep their reports).

    Example: cx batch clients/ --jobs 4 --steps mission,voc --resume
    """
    from cxlib import batch

    if scheduler and jobs:
        raise click.BadParameter("the cluster decides its workers", param_hint="--jobs")
    chosen = [s.strip() for part in steps for s in part.split(",") if s.strip()]
    extra = _parse_params(params)
    show = sys.stderr.isatty() if progress is None else progress
    try:
        clients = batch.find_engagements(source)
        result = batch.run_batch(
            clients,
            jobs=jobs,
            steps=chosen,
            wave=wave,
            parameters=extra,
            resume=resume,
            scheduler=scheduler,
            use_dask=use_dask,
            cell_timeout=cell_timeout,
            progress=show,
            log=lambda line: click.echo(line, err=True),
        )
    except CxError as exc:
        _fail(exc)
    click.echo(batch.format_summary(result))
    folder = summary_dir or (source if source.is_dir() else source.parent)
    csv_path, html_path = batch.write_summary(result, folder)
    click.echo(f"Summary: {csv_path} and {html_path}")
    sys.exit(result.exit_code)


@cli.group("baseline")
def baseline_group() -> None:
    """Lock KPI baselines, so later waves are always compared with the same numbers.

    A locked baseline is baseline/<WAVE>.json in the engagement folder, with a checksum
    that is verified every time it is used.

    Example: cx baseline lock clients/acme --wave 2026Q1
    """


@baseline_group.command("lock")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--wave", required=True, help="The wave whose KPI baseline is locked.")
@click.option("--force", is_flag=True, help="Replace an existing locked baseline.")
@click.option("--reason", default="", help="Why the baseline is replaced (needed with --force).")
def baseline_lock(folder: Path, wave: str, force: bool, reason: str) -> None:
    """Lock the KPI baseline of a wave into FOLDER/baseline/<WAVE>.json.

    The KPIs are copied from the latest report's results/kpi_baseline.json when it is for
    that wave, else computed. A locked baseline is never overwritten: --force --reason
    replaces it and records the reason and the previous checksum. Exit code 1 on refusal.

    Example: cx baseline lock clients/acme --wave 2026Q1
    """
    from cxlib import baseline

    try:
        path = baseline.lock(folder, wave, force=force, reason=reason)
    except CxError as exc:
        _fail(exc)
    doc = baseline.load_locked(folder, wave)
    click.echo(f"Locked the {wave} baseline in {path}")
    click.echo(f"Checksum (sha256): {doc['checksum']}")


@cli.group("export")
def export_group() -> None:
    """Export a finished report for the client.

    Example: cx export pdf clients/acme
    """


@export_group.command("pdf", epilog="Example: cx export pdf clients/acme --output acme-report.pdf")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="PDF to write (default: FOLDER/reports/<folder>-report.pdf).",
)
def export_pdf_command(folder: Path, output: Path | None) -> None:
    """Print FOLDER's report pages to one PDF with headless Chromium.

    The summary comes first, then each step on new sheets, then the methods; every sheet
    is numbered. Nothing is loaded from the network.
    """
    from cxlib import pdf

    try:
        path = pdf.export_pdf(folder, output=output)
    except CxError as exc:
        _fail(exc)
    click.echo(f"PDF: {path}")


def main() -> None:
    """Entry point of the ``cx`` console script."""
    skip_iri_format_checks()  # 1.7 s of every command's start; see cxlib.startup
    cli(prog_name="cx")


if __name__ == "__main__":
    main()
