"""The `gridbot` command line.

Every subcommand imports what it needs inside its own function so that light
commands (`nlu classify`, `route`) never pay for aiogram, FastAPI or sklearn.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from nlu.cli import app as nlu_app

app = typer.Typer(
    name="gridbot",
    help="gridbot: city grid management in chat (网格化管理).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(nlu_app, name="nlu", help="Chinese NLU: classify, train, evaluate.")

grids_app = typer.Typer(help="Grid hierarchy (网格) import and lookup.", no_args_is_help=True)
units_app = typer.Typer(help="Responsible units (责任单位).", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
demo_app = typer.Typer(help="The demo county (青禾县).", no_args_is_help=True)
bench_app = typer.Typer(help="Benchmarks: throughput and latency percentiles.", no_args_is_help=True)
app.add_typer(grids_app, name="grids")
app.add_typer(units_app, name="units")
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
app.add_typer(bench_app, name="bench")


def fail(message: str, code: int = 1) -> None:
    """Print one clear line on stderr and exit non-zero."""
    typer.echo(f"gridbot: error: {message}", err=True)
    raise typer.Exit(code)


def _settings() -> Any:
    from gridbot.settings import Settings

    return Settings()


def _run(coro: Any) -> Any:
    import asyncio

    return asyncio.run(coro)


def _load_json(path: Path) -> Any:
    import json

    try:
        raw = path.read_bytes()
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror or exc}")
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        fail(f"{path}: invalid UTF-8 at byte {exc.start}")
    except json.JSONDecodeError as exc:
        fail(f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}")


def _load_yaml(path: Path) -> Any:
    import yaml

    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror or exc}")
    except UnicodeDecodeError as exc:
        fail(f"{path}: invalid UTF-8 at byte {exc.start}")
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        fail(f"{path}: invalid YAML{where}: {getattr(exc, 'problem', None) or exc}")


async def _import(kind: str, doc: Any) -> dict[str, int]:
    from datetime import UTC, datetime

    from dispatch.adapters.db import make_engine, session_factory, upgrade_async
    from dispatch.adapters.uow import UnitOfWork
    from dispatch.service import imports

    settings = _settings()
    settings.ensure_data_dir()
    url = settings.effective_database_url
    await upgrade_async(url)
    engine = make_engine(url)
    try:
        uow = UnitOfWork(session_factory(engine))
        fn = {"grids": imports.import_grids, "units": imports.import_units,
              "members": imports.import_members}[kind]
        return await fn(uow, doc, datetime.now(UTC))
    finally:
        await engine.dispose()


def _import_cli(kind: str, doc: Any, source: str) -> None:
    from dispatch.domain.errors import DomainError

    try:
        counts = _run(_import(kind, doc))
    except DomainError as exc:
        fail(f"{source}: {exc}")
    except OSError as exc:
        fail(f"database: {exc}")
    summary = ", ".join(f"{k} {v}" for k, v in counts.items())
    typer.echo(f"imported {source}: {summary}")


@grids_app.command("import")
def grids_import(path: Annotated[Path, typer.Argument(help="GeoJSON FeatureCollection (WGS84)")]) -> None:
    """Import or update grids; all or nothing."""
    _import_cli("grids", _load_json(path), str(path))


@units_app.command("import")
def units_import(path: Annotated[Path, typer.Argument(help="units YAML")]) -> None:
    """Import or update units; routing ties are refused."""
    _import_cli("units", _load_yaml(path), str(path))


@app.command("members")
def members_import(path: Annotated[Path, typer.Argument(help="members YAML")]) -> None:
    """Import members (residents, grid workers, unit members, dispatchers)."""
    _import_cli("members", _load_yaml(path), str(path))


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply database migrations."""
    from dispatch.adapters.db import current_revision, upgrade

    settings = _settings()
    settings.ensure_data_dir()
    url = settings.effective_database_url
    try:
        upgrade(url, revision)
        rev = current_revision(url)
    except Exception as exc:  # database unreachable, bad URL …
        fail(f"database upgrade failed: {exc}")
    typer.echo(f"database at revision {rev}")


@demo_app.command("load")
def demo_load() -> None:
    """Load the demo county 青禾县: grids, units and people."""
    from importlib import resources

    import yaml

    demo = resources.files("gridbot").joinpath("demo")
    import json

    _import_cli("grids", json.loads(demo.joinpath("county.geojson").read_text("utf-8")), "demo grids")
    _import_cli("units", yaml.safe_load(demo.joinpath("units.yaml").read_text("utf-8")), "demo units")
    _import_cli("members", yaml.safe_load(demo.joinpath("people.yaml").read_text("utf-8")), "demo people")


@app.command("route")
def route_cmd(
    strict: Annotated[bool, typer.Option(help="stop at the first bad line")] = False,
    model: Annotated[Optional[Path], typer.Option(help="NLU model directory")] = None,
) -> None:
    """Route JSON Lines {id, text, lat?, lon?, category?} from stdin to units."""
    from gridbot.route_cli import run_route

    code = run_route(_settings(), strict=strict, model=model)
    raise typer.Exit(code)


@bench_app.command("grids")
def bench_grids(
    points: int = 100_000,
    startup_runs: Annotated[int, typer.Option(help="how often to time `gridbot route` start-up (0: skip)")] = 5,
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Unit-grid lookup throughput (≥1,000 unit grids) and `gridbot route` start-up."""
    import json

    from gridbot.bench_grids import bench_lookup, bench_route_startup, print_lookup

    result = bench_lookup(points)
    if startup_runs:
        result["route_startup"] = bench_route_startup(startup_runs)
    if json_out:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    print_lookup(result)
    if startup_runs:
        s = result["route_startup"]
        typer.echo(f"gridbot route start-up: median {s['median_s'] * 1e3:.0f} ms"
                   f" (min {s['min_s'] * 1e3:.0f}, max {s['max_s'] * 1e3:.0f}, {s['runs']} runs)")


@app.command("report")
def report_cmd(
    month: Annotated[Optional[str], typer.Option(help="the month, e.g. 2026-11")] = None,
    start: Annotated[Optional[str], typer.Option(help="first day, e.g. 2026-11-01")] = None,
    end: Annotated[Optional[str], typer.Option(help="last day (inclusive)")] = None,
    level: Annotated[int, typer.Option(help="grid level of the grid table: 2 street, 3 community, 4 unit grid")] = 3,
    csv_out: Annotated[bool, typer.Option("--csv", help="CSV instead of tables")] = False,
) -> None:
    """Assessment (考核): 按期办结率, 返工率, 满意率, 主动发现率…, rankings, grid-worker points."""
    from datetime import date

    from dispatch.service.assessment_report import Period, build_report
    from gridbot.report_cli import print_report, write_csv

    settings = _settings()
    try:
        if month:
            period = Period.month(month, settings.timezone)
        elif start and end:
            period = Period.between(date.fromisoformat(start), date.fromisoformat(end), settings.timezone)
        else:
            fail("give --month YYYY-MM, or --start and --end")
    except ValueError as exc:
        fail(str(exc))
    if level not in (1, 2, 3, 4):
        fail("--level must be 1–4")

    async def go() -> Any:
        from gridbot.bootstrap import bootstrap

        app_ = await bootstrap(settings)
        try:
            return await build_report(app_.uow(), app_.registry, period, level)
        finally:
            await app_.close()

    report = _run(go())
    (write_csv if csv_out else print_report)(report)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
