"""The `gridbot` command line.

Every subcommand imports what it needs inside its own function so that light
commands (`nlu classify`, `route`) never pay for aiogram, FastAPI or sklearn.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from gridbot.cli import flags
from gridbot.cli.nlu_retrain import retrain as nlu_retrain
from gridbot.cli.nlu_retrain import rollback as nlu_rollback
from nlu.bench import bench as bench_nlu
from nlu.cli import PATHS as NLU_PATHS
from nlu.cli import app as nlu_app

flags.install()

app = typer.Typer(
    name="gridbot",
    help="gridbot: city grid management in chat (网格化管理).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
def _nlu_paths() -> tuple[Path, Path | None]:
    settings = _settings()
    return settings.data_dir, settings.nlu_model_dir


NLU_PATHS.configure = _nlu_paths  # read only when an nlu command needs the default model
nlu_app.command("retrain")(nlu_retrain)
nlu_app.command("rollback")(nlu_rollback)
app.add_typer(nlu_app, name="nlu", help="Chinese NLU: classify, train, evaluate, retrain.")

grids_app = typer.Typer(help="Grid hierarchy (网格) import and lookup.", no_args_is_help=True)
units_app = typer.Typer(help="Responsible units (责任单位).", no_args_is_help=True)
db_app = typer.Typer(help="Database schema, backup and restore.", no_args_is_help=True)
demo_app = typer.Typer(help="The demo county (青禾县).", no_args_is_help=True)
bench_app = typer.Typer(help="Benchmarks: throughput and latency percentiles.", no_args_is_help=True)
app.add_typer(grids_app, name="grids")
app.add_typer(units_app, name="units")
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
app.add_typer(bench_app, name="bench")
bench_app.command("nlu")(bench_nlu)


def fail(message: str, code: int = 1) -> None:
    """Print one clear line on stderr and exit non-zero."""
    typer.echo(f"gridbot: error: {message}", err=True)
    raise typer.Exit(code)


def _settings() -> Any:
    from dispatch.settings import Settings

    return Settings()


def _setup_logging(settings: Any, default_level: str) -> None:
    """Text or JSON lines (GRIDBOT_LOG_FORMAT), redacted; GRIDBOT_LOG_LEVEL when it is set,
    else the command's default level."""
    from gridbot.logs import setup_logging

    level = settings.log_level if "log_level" in settings.model_fields_set else default_level
    try:
        setup_logging(settings, level.upper())
    except ValueError as exc:
        fail(str(exc))


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

    from dispatch.db.db import make_engine, session_factory, upgrade_async
    from dispatch.db.uow import UnitOfWork
    from dispatch.service import imports
    from dispatch.service.config_log import AuditActor

    settings = _settings()
    settings.ensure_data_dir()
    url = settings.effective_database_url
    await upgrade_async(url)
    engine = make_engine(url)
    try:
        uow = UnitOfWork(session_factory(engine))
        fn = {"grids": imports.import_grids, "units": imports.import_units,
              "members": imports.import_members}[kind]
        return await fn(uow, doc, datetime.now(UTC), AuditActor.cli())
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


# -- history (历史案件) -------------------------------------------------------------------------
history_app = typer.Typer(help="Cases from an older system, replayed into the case log.",
                          no_args_is_help=True)
app.add_typer(history_app, name="history")


@history_app.command("import")
def history_import(path: Annotated[Path, typer.Argument(help="JSON Lines, one event a line")]) -> None:
    """Replay past cases' events (report, dispatch, accept, resolve, rate…) at their own times;
    all or nothing; importing the same file again changes nothing."""
    from dispatch.service.history import HistoryError
    from gridbot.cli.history import run_history_import

    try:
        result = _run(run_history_import(_settings(), path))
    except OSError as exc:
        fail(f"{path}: {exc.strerror or exc}")
    except UnicodeDecodeError:
        fail(f"{path}: not UTF-8 text")
    except HistoryError as exc:
        fail(f"{path}: {exc}")
    typer.echo(
        f"history: {result.cases_created} cases created, {result.cases_updated} updated, "
        f"{result.events_applied} events replayed, {result.events_skipped} already imported"
    )


# -- the closed-loop policy (处置规则) ------------------------------------------------------------
policy_app = typer.Typer(
    help="The closed-loop policy: time limits, reminders, escalation, 核查, rating, duplicates.",
    no_args_is_help=True,
)
app.add_typer(policy_app, name="policy")


@policy_app.command("show")
def policy_show(
    configured: Annotated[bool, typer.Option(
        "--configured", help="what is stored (category hours only where overridden), not the effective")
    ] = False,
) -> None:
    """Print the effective policy as YAML."""
    from gridbot.cli.policy import HEADER, dump_yaml, policy_doc

    doc, version = _run(policy_doc(_settings(), effective=not configured))
    typer.echo(HEADER.format(version=version) + dump_yaml(doc), nl=False)


@policy_app.command("export")
def policy_export(
    path: Annotated[Path, typer.Argument(help="YAML file to write")],
    effective: Annotated[bool, typer.Option(
        "--effective", help="every category's hours, not only the overridden ones")] = False,
) -> None:
    """Write the configured policy to a YAML file (`policy import` takes it back)."""
    from gridbot.cli.policy import HEADER, dump_yaml, policy_doc

    doc, version = _run(policy_doc(_settings(), effective=effective))
    try:
        path.write_text(HEADER.format(version=version) + dump_yaml(doc), encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror or exc}")
    typer.echo(f"exported policy version {version} to {path}")


@policy_app.command("import")
def policy_import(path: Annotated[Path, typer.Argument(help="policy YAML (see docs/policy.md)")]) -> None:
    """Validate a policy file and make it the policy; all or nothing, audit-logged."""
    from dispatch.domain.errors import DomainError
    from gridbot.cli.policy import import_policy

    doc = _load_yaml(path)
    if doc is None:
        fail(f"{path}: the file is empty (to go back to the defaults, import a file holding {{}})")
    try:
        version, changed = _run(import_policy(_settings(), doc))
    except DomainError as exc:
        fail(f"{path}: {exc}")
    typer.echo(f"imported {path}: policy version {version} ({changed} settings changed)")


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply database migrations."""
    from dispatch.db.db import current_revision, upgrade

    settings = _settings()
    settings.ensure_data_dir()
    url = settings.effective_database_url
    try:
        upgrade(url, revision)
        rev = current_revision(url)
    except Exception as exc:  # database unreachable, bad URL …
        fail(f"database upgrade failed: {exc}")
    typer.echo(f"database at revision {rev}")


@db_app.command("backup")
def db_backup(
    path: Annotated[Path, typer.Argument(help="file to write (a SQLite file, or pg_dump -Fc)")],
) -> None:
    """Back up the database while it runs: SQLite by its online backup API, PostgreSQL by
    pg_dump -Fc (docs/deployment.md)."""
    from gridbot.cli.db_backup import BackupError, backup

    try:
        done = backup(_settings().effective_database_url, path)
    except BackupError as exc:
        fail(str(exc))
    typer.echo(f"backed up {done.what} ({done.tables} tables)")


@db_app.command("restore")
def db_restore(
    path: Annotated[Path, typer.Argument(help="a file made by `gridbot db backup`")],
    force: Annotated[bool, typer.Option("--force", help="overwrite a database that is not empty")] = False,
) -> None:
    """Restore a backup into the configured database; a database that holds tables is only
    overwritten with --force. Stop the bot, relay and console first."""
    from gridbot.cli.db_backup import BackupError, restore

    try:
        done = restore(_settings().effective_database_url, path, force=force)
    except BackupError as exc:
        fail(str(exc))
    typer.echo(f"restored {done.what} ({done.tables} tables)")


@demo_app.command("load")
def demo_load(
    history: Annotated[bool, typer.Option(help="also import the demo month of history")] = True,
) -> None:
    """Load the demo county 青禾县: grids, units, people and a month of history (cases)."""
    from importlib import resources

    import yaml

    demo = resources.files("gridbot").joinpath("demo")
    import json

    _import_cli("grids", json.loads(demo.joinpath("county.geojson").read_text("utf-8")), "demo grids")
    _import_cli("units", yaml.safe_load(demo.joinpath("units.yaml").read_text("utf-8")), "demo units")
    _import_cli("members", yaml.safe_load(demo.joinpath("people.yaml").read_text("utf-8")), "demo people")
    if history:
        _demo_history()


def _demo_history() -> None:
    from datetime import UTC, datetime

    from dispatch.service.history import HistoryError, import_history
    from gridbot.bootstrap import bootstrap
    from gridbot.demo import history_lines

    settings = _settings()

    async def go() -> Any:
        app_ = await bootstrap(settings)
        try:
            lines = history_lines(datetime.now(UTC), settings.tz)
            return await import_history(app_.uow(), app_.registry, lines, prefix=settings.case_prefix,
                                        tz=settings.tz, now=datetime.now(UTC))
        finally:
            await app_.close()

    try:
        result = _run(go())
    except HistoryError as exc:
        fail(f"demo history: {exc}")
    typer.echo(f"demo history: {result.cases_created} cases, {result.events_applied} events")


@app.command("route")
def route_cmd(
    strict: Annotated[bool, typer.Option(help="stop at the first bad line")] = False,
    model: Annotated[Path | None, typer.Option(help="NLU model directory")] = None,
) -> None:
    """Route JSON Lines {id, text, lat?, lon?, category?} from stdin to units.

    A bad line (not UTF-8, longer than 1 MiB, not a JSON object, a bad text, category or
    lat/lon) is reported on stderr with its line number and skipped; the other lines are
    answered. Exit status: 0 when every line was answered; 1 when any line was bad (with
    --strict the first bad line stops the stream) or the grids cannot be loaded.
    """
    from gridbot.cli.route import run_route

    code = run_route(_settings(), strict=strict, model=model)
    raise typer.Exit(code)


# -- 12345 hotline work orders -------------------------------------------------------------------
hotline_app = typer.Typer(help="12345 hotline work orders (工单) into the same loop.", no_args_is_help=True)
app.add_typer(hotline_app, name="hotline")


@hotline_app.command("import")
def hotline_import(
    path: Annotated[Path, typer.Argument(help="CSV (UTF-8, UTF-8 with BOM or GB18030) or XLSX")],
    columns: Annotated[Path | None, typer.Option(
        help="YAML mapping of the file's headers onto ours (docs/formats.md)")] = None,
    strict: Annotated[bool, typer.Option(help="any bad row fails the whole file: all or nothing")] = False,
    model: Annotated[Path | None, typer.Option(help="NLU model directory")] = None,
) -> None:
    """Import work orders: one JSON line per data row on stdout, a summary on stderr."""
    from gridbot.cli.hotline import run_import

    raise typer.Exit(run_import(_settings(), path, columns=columns, strict=strict, model=model))


@hotline_app.command("export")
def hotline_export(
    since: Annotated[str, typer.Option(help="orders imported, or whose case changed, since (2026-11-01)")],
    out: Annotated[Path | None, typer.Option(help="file to write: .xlsx for XLSX, else CSV (default stdout)")]
    = None,
    encoding: Annotated[str | None, typer.Option(
        help="CSV encoding: utf-8-sig (files' default), utf-8 (stdout's default) or gb18030")] = None,
) -> None:
    """The answer to the hotline: per 工单编号, status, result, unit, time finished, note, rating."""
    from gridbot.cli.hotline import run_export

    raise typer.Exit(run_export(_settings(), since, out_path=out, encoding=encoding))


@hotline_app.command("check")
def hotline_check(
    month: Annotated[str, typer.Option(help="the month of the calls, e.g. 2026-11")],
    window_hours: Annotated[float, typer.Option(help="how long before the call a grid report counts")] = 72,
    distance: Annotated[float, typer.Option(help="metres: a grid report this near counts too")] = 300,
) -> None:
    """非现场检查: which hotline orders grid workers had not found first (未主动发现), per grid and
    grid worker, as one JSON object."""
    import json
    from datetime import timedelta

    from dispatch.domain.offsite import OffsiteRule
    from dispatch.service.assessment_report import Period
    from dispatch.service.hotline_check import offsite_check

    settings = _settings()
    try:
        period = Period.month(month, settings.timezone)
    except ValueError as exc:
        fail(str(exc))
    if window_hours <= 0 or distance < 0:
        fail("--window-hours must be positive and --distance not negative")
    rule = OffsiteRule(timedelta(hours=window_hours), distance)

    async def go() -> Any:
        from gridbot.bootstrap import bootstrap

        app_ = await bootstrap(settings)
        try:
            return await offsite_check(app_.uow, app_.registry, period.start, period.end, rule, settings.tz)
        finally:
            await app_.close()

    result = _run(go())
    typer.echo(json.dumps({"period": period.label, **result}, ensure_ascii=False, indent=2))


@bench_app.command("grids")
def bench_grids(
    points: int = 100_000,
    startup_runs: Annotated[
        int, typer.Option(help="how often to time `gridbot route` start-up (0: skip)")
    ] = 5,
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Unit-grid lookup throughput (≥1,000 unit grids) and `gridbot route` start-up."""
    import json

    from gridbot.bench.grids import bench_lookup, bench_route_startup, print_lookup

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
    month: Annotated[str | None, typer.Option(help="the month, e.g. 2026-11")] = None,
    week: Annotated[str | None, typer.Option(help="the ISO week, e.g. 2026-W48")] = None,
    quarter: Annotated[str | None, typer.Option(help="the quarter, e.g. 2026-Q4")] = None,
    year: Annotated[str | None, typer.Option(help="the year, e.g. 2026")] = None,
    start: Annotated[str | None, typer.Option(help="first day, e.g. 2026-11-01")] = None,
    end: Annotated[str | None, typer.Option(help="last day (inclusive)")] = None,
    level: Annotated[
        int, typer.Option(help="grid level of the grid table and ranking: 2 street, 3 community, 4 unit grid")
    ] = 3,
    csv_out: Annotated[bool, typer.Option("--csv", help="CSV instead of tables")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="one JSON object (docs/assessment.md)")] = False,
) -> None:
    """Assessment (考核): 按期办结率, 返工率, 满意率, 主动发现率…, rankings, grid-worker points."""
    from datetime import date

    from dispatch.service.assessment_report import Period, build_report
    from dispatch.service.assessment_table import print_report, write_csv

    settings = _settings()
    given = [x for x in (month, week, quarter, year, start or end) if x]
    if len(given) != 1:
        fail("give one of --month YYYY-MM, --week YYYY-Www, --quarter YYYY-Qn, --year YYYY,"
             " or --start and --end")
    try:
        if month:
            period = Period.month(month, settings.timezone)
        elif week:
            period = Period.week(week, settings.timezone)
        elif quarter:
            period = Period.quarter(quarter, settings.timezone)
        elif year:
            period = Period.year(year, settings.timezone)
        elif start and end:
            period = Period.between(date.fromisoformat(start), date.fromisoformat(end), settings.timezone)
        else:
            fail("give both --start and --end")
    except ValueError as exc:
        fail(str(exc))
    if level not in (1, 2, 3, 4):
        fail("--level must be 1–4")

    async def go() -> Any:
        from gridbot.bootstrap import bootstrap

        app_ = await bootstrap(settings)
        try:
            return await build_report(app_.uow(), app_.registry, period, level, now=app_.clock.now())
        finally:
            await app_.close()

    report = _run(go())
    if json_out:
        import json

        typer.echo(json.dumps(report.as_json(), ensure_ascii=False, indent=1))
        return
    (write_csv if csv_out else print_report)(report)


# -- the admin console (管理后台) -------------------------------------------------------------
admin_app = typer.Typer(help="The admin console: `gridbot admin [--host --port]` serves it.",
                        invoke_without_command=True)
app.add_typer(admin_app, name="admin")


def _console_classifier(app_: Any) -> Any:
    """The NLU for the console's category suggestion, loaded once; without a model the
    dispatcher picks the category (said on stderr, the console still starts)."""
    from bot.nlu import load_classifier

    try:
        return load_classifier(app_.registry, app_.settings.data_dir, app_.settings.nlu_model_dir)
    except Exception as exc:  # no model, or an unreadable one
        typer.echo(f"gridbot admin: no NLU model ({exc}); categories are picked by hand", err=True)
        return None


@admin_app.callback()
def admin_serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    bot_username: Annotated[str | None, typer.Option(help="the bot's @username, for invite links")] = None,
    forwarded_allow_ips: Annotated[str, typer.Option(
        envvar="FORWARDED_ALLOW_IPS",
        help="addresses of the reverse proxy whose X-Forwarded-For/-Proto are trusted "
             "(comma-separated, '*' for any; docs/deployment.md)")] = "127.0.0.1",
) -> None:
    """Serve the console (when no subcommand is given)."""
    if ctx.invoked_subcommand is not None:
        return

    async def go() -> None:
        import asyncio

        from admin.accounts import count_users
        from admin.app import create_admin_app, make_server
        from gridbot.bootstrap import bootstrap
        from gridbot.config_watch import start_config_watch
        from gridbot.ops.endpoints import add_fastapi_routes, readiness

        settings = _settings()
        _setup_logging(settings, "INFO")
        app_ = await bootstrap(settings)
        try:
            if not await count_users(app_.uow()):
                typer.echo("gridbot admin: no console accounts yet: run "
                           "`gridbot admin create-user NAME --role admin`", err=True)
            typer.echo(f"gridbot admin: http://{host}:{port}/")
            classifier = _console_classifier(app_)
            stop = asyncio.Event()
            watcher = start_config_watch(app_, stop)  # edits made by the CLI or other processes
            try:
                console = create_admin_app(app_, bot_username=bot_username, report_cache_seconds=60,
                                           classifier=classifier)
                add_fastapi_routes(console, app_, readiness(app_))  # /healthz /readyz /metrics
                await make_server(console, host, port, forwarded_allow_ips=forwarded_allow_ips,
                                  log_config=None).serve()  # logs: gridbot/logs.py
            finally:
                stop.set()
                await watcher
        finally:
            await app_.close()

    _run(go())


@admin_app.command("create-user")
def admin_create_user(
    username: Annotated[str, typer.Argument(help="login name")],
    role: Annotated[str, typer.Option(help="admin, dispatcher or viewer")] = "viewer",
    name: Annotated[str | None, typer.Option(help="display name (shown in case timelines)")] = None,
    link_tg: Annotated[int | None, typer.Option(
        help="act as this existing dispatcher/admin member (Telegram id), not a console-only one")] = None,
    password: Annotated[str | None, typer.Option(
        help="the password (default: asked for; or set GRIDBOT_ADMIN_PASSWORD)",
        envvar="GRIDBOT_ADMIN_PASSWORD")] = None,
) -> None:
    """Create a console account (argon2-hashed password)."""
    if password is None:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)

    async def go() -> Any:
        from datetime import UTC, datetime

        from admin.accounts import create_user
        from dispatch.db.db import make_engine, session_factory, upgrade_async
        from dispatch.db.uow import UnitOfWork

        settings = _settings()
        settings.ensure_data_dir()
        await upgrade_async(settings.effective_database_url)
        engine = make_engine(settings.effective_database_url)
        try:
            return await create_user(UnitOfWork(session_factory(engine)), username, password or "", role,
                                     datetime.now(UTC), name or "", link_tg)
        finally:
            await engine.dispose()

    from dispatch.domain.errors import DomainError

    try:
        user = _run(go())
    except DomainError as exc:
        fail(str(exc))
    if user.acting_role is None:
        actor = ", read-only"
    else:
        linked = f", Telegram id {user.tg_id}" if user.tg_id is not None else ""
        actor = f", acts as member #{user.member_id} in the role {user.acting_role}{linked}"
    typer.echo(f"created console user {user.username} ({user.role}{actor})")


@admin_app.command("set-password")
def admin_set_password(
    username: Annotated[str, typer.Argument(help="login name")],
    password: Annotated[str | None, typer.Option(envvar="GRIDBOT_ADMIN_PASSWORD")] = None,
) -> None:
    """Reset a console password (and end that user's sessions)."""
    if password is None:
        password = typer.prompt("new password", hide_input=True, confirmation_prompt=True)

    async def go() -> None:
        from admin.accounts import set_password
        from gridbot.bootstrap import bootstrap

        app_ = await bootstrap(_settings())
        try:
            await set_password(app_.uow(), username, password or "")
        finally:
            await app_.close()

    from dispatch.domain.errors import DomainError

    try:
        _run(go())
    except DomainError as exc:
        fail(str(exc))
    typer.echo(f"password of {username} changed")


@bench_app.command("admin")
def bench_admin_cmd(
    cases: Annotated[int, typer.Option(help="generated cases")] = 100_000,
    rounds: Annotated[int, typer.Option(help="requests per page kind")] = 20,
    database_url: Annotated[str | None, typer.Option(
        help="database to fill (default: a fresh SQLite file in a temporary directory)")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Case-list page times (p50/p95) with N generated cases; the target is p95 ≤ 300 ms."""
    import json

    from gridbot.bench.admin import print_result, run_bench

    result = _run(run_bench(cases, rounds, database_url))
    typer.echo(json.dumps(result, ensure_ascii=False, indent=2) if json_out else print_result(result))


@bench_app.command("patrol")
def bench_patrol_cmd(
    workers: Annotated[int, typer.Option(help="grid workers on patrol at once")] = 1000,
    rounds: Annotated[int, typer.Option(help="updates per worker")] = 20,
    interval: Annotated[float, typer.Option(help="seconds between a worker's updates (simulated)")] = 30.0,
    database_url: Annotated[str | None, typer.Option(
        help="database to use (default: a fresh SQLite file in a temporary directory)")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Live-location updates of patrolling grid workers: updates/s, CPU per update, latency
    percentiles, storage per patrol-hour, the cost of ending a patrol."""
    import json

    from gridbot.bench.patrol import print_result, run_bench

    if workers < 1 or rounds < 1 or interval <= 0:
        fail("--workers and --rounds must be at least 1, --interval positive")
    result = _run(run_bench(workers, rounds, interval, database_url))
    typer.echo(json.dumps(result, ensure_ascii=False, indent=2) if json_out else print_result(result))


# -- the Open311 GeoReport v2 API -------------------------------------------------------------
apikey_app = typer.Typer(help="Keys of Open311 clients: create (printed once, stored hashed), revoke.",
                         no_args_is_help=True)
app.add_typer(apikey_app, name="api-key")


@app.command("api")
def api_cmd(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on (0: any free port)")] = 8311,
    rate: Annotated[float, typer.Option(help="requests per second per key (or per address)")] = 10.0,
    burst: Annotated[float, typer.Option(help="requests a key may make at once")] = 100.0,
) -> None:
    """Serve the Open311 GeoReport v2 API under /open311/v2/ (prints its base URL when ready)."""
    from gridbot.cli.api import serve_api

    if rate <= 0 or burst < 1:
        fail("--rate must be positive and --burst at least 1")
    settings = _settings()
    _setup_logging(settings, "WARNING")
    _run(serve_api(settings, host, port, rate=rate, burst=burst, echo=typer.echo))


@apikey_app.command("create")
def api_key_create(name: Annotated[str, typer.Argument(help="the client's name (audit log)")]) -> None:
    """Create a key and print it (only its hash is stored: it cannot be shown again)."""
    from gridbot.cli.api import key_command

    try:
        typer.echo(_run(key_command(_settings(), "create", name)))
    except ValueError as exc:
        fail(str(exc))


@apikey_app.command("revoke")
def api_key_revoke(name: Annotated[str, typer.Argument(help="the client's name")]) -> None:
    """Revoke a key: its requests are refused (403) from now on."""
    from gridbot.cli.api import key_command

    try:
        _run(key_command(_settings(), "revoke", name))
    except ValueError as exc:
        fail(str(exc))
    typer.echo(f"revoked API key {name}")


# -- the Telegram bot: aiogram is imported inside the commands only ------------------
@app.command("sandbox")
def sandbox_cmd(
    host: Annotated[str, typer.Option(help="address for the sandbox page and Bot API")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port (0: any free port)")] = 8081,
    scheduler: Annotated[bool, typer.Option(help="run the deadline scheduler too")] = True,
    admin_port: Annotated[int, typer.Option(help="port of the admin console (0: do not start it)")] = 8000,
    workers: Annotated[int | None, typer.Option(
        help="bot worker processes for updates (default: GRIDBOT_BOT_WORKERS or 1; docs/workers.md)")] = None,
) -> None:
    """Everything local: database, demo county, sandbox Bot API + web chat, the bot, the admin
    console. Prints the URLs."""
    from gridbot.processes.launch import LaunchError, run_sandbox
    from gridbot.processes.metrics_dir import MetricsDirError, multiprocess_metrics

    try:
        settings = _settings()
        _setup_logging(settings, "WARNING")
        n = settings.bot_workers if workers is None else workers
        with multiprocess_metrics(n > 1):  # the workers' metrics in the console's /metrics
            _run(run_sandbox(settings, host=host, port=port, echo=typer.echo, scheduler=scheduler,
                             admin_port=admin_port, workers=n))
    except (LaunchError, MetricsDirError) as exc:
        fail(str(exc))


@app.command("run")
def run_cmd(
    webhook: Annotated[str | None, typer.Option(
        help="public HTTPS URL for a webhook (default: long polling)")] = None,
    listen: Annotated[str, typer.Option(help="host:port the webhook server listens on")] = "0.0.0.0:8080",
    webhook_secret: Annotated[str | None, typer.Option(help=(
        "X-Telegram-Bot-Api-Secret-Token (default: GRIDBOT_WEBHOOK_SECRET, else one kept in the "
        "data directory)"
    ))] = None,
    scheduler: Annotated[bool, typer.Option(help="run the deadline scheduler too")] = True,
    workers: Annotated[int | None, typer.Option(
        help="bot worker processes for updates (default: GRIDBOT_BOT_WORKERS or 1; docs/workers.md)")] = None,
    ops_listen: Annotated[str | None, typer.Option(
        envvar="GRIDBOT_OPS_LISTEN",
        help="host:port for /healthz, /readyz and /metrics (docs/deployment.md); default: none")] = None,
) -> None:
    """Run the bot on Telegram with TELEGRAM_BOT_TOKEN (long polling, or --webhook URL)."""
    from gridbot.processes.launch import LaunchError, run_telegram
    from gridbot.processes.metrics_dir import MetricsDirError, multiprocess_metrics

    try:
        settings = _settings()
        _setup_logging(settings, "INFO")
        n = settings.bot_workers if workers is None else workers
        with multiprocess_metrics(n > 1):  # every worker's metrics in the parent's /metrics
            _run(run_telegram(settings, webhook=webhook, listen=listen, webhook_secret=webhook_secret,
                              scheduler=scheduler, echo=typer.echo, workers=n, ops_listen=ops_listen))
    except (LaunchError, MetricsDirError) as exc:
        fail(str(exc))


@app.command("invite")
def invite_cmd(
    unit: Annotated[str | None, typer.Option(help="unit id: an invite for a unit member")] = None,
    grid: Annotated[str | None, typer.Option(help="grid id: an invite for a grid worker")] = None,
    bind: Annotated[bool, typer.Option(
        "--bind", help="with --unit: a /bind code for the unit's group")] = False,
    bot_username: Annotated[str | None, typer.Option(
        help="the bot's @username (default: ask Telegram)")] = None,
) -> None:
    """Print an invite deep link (https://t.me/<bot>?start=<code>) or a group /bind code."""
    from dispatch.domain.errors import DomainError

    if (unit is None) == (grid is None):
        fail("give exactly one of --unit ID or --grid ID")
    if bind and unit is None:
        fail("--bind needs --unit")
    purpose = "bind_group" if bind else ("unit_member" if unit else "grid_worker")

    from gridbot.processes.launch import create_invite_link

    try:
        code, link = _run(create_invite_link(_settings(), purpose, unit or grid or "", bot_username))
    except DomainError as exc:
        fail(str(exc))
    typer.echo(link)
    if purpose == "bind_group":
        typer.echo("send that line in the unit's group (as an admin or a member of the unit)", err=True)
    elif link.startswith("/start"):
        typer.echo("no TELEGRAM_BOT_TOKEN: in `gridbot sandbox` the person sends that line to the bot "
                   "(with a token, or --bot-username, this prints https://t.me/<bot>?start=<code>)", err=True)


@bench_app.command("bot")
def bench_bot_cmd(
    residents: Annotated[int, typer.Option(help="simulated residents (concurrent)")] = 50,
    duration: Annotated[float, typer.Option(
        help="seconds measured after the warm-up; 0: --reports per resident, all counted")] = 30.0,
    warmup: Annotated[float, typer.Option(help="seconds of load before the window")] = 5.0,
    reports: Annotated[int, typer.Option(help="complete reports per resident (with --duration 0)")] = 4,
    nlu: Annotated[str, typer.Option(help="model (the packaged NLU) or fake (keyword stub)")] = "model",
    database_url: Annotated[str | None, typer.Option(
        help="a PostgreSQL server (a temporary database is made on it and dropped); "
             "default: a temporary SQLite file")] = None,
    redis: Annotated[str | None, typer.Option(
        "--redis", help="Redis for the bot's state (default: GRIDBOT_REDIS_URL; unset: in process)")] = None,
    existing_cases: Annotated[int, typer.Option(
        help="historical cases seeded first (bulk inserts, 1,000 a day back from now)")] = 0,
    http_residents: Annotated[
        bool, typer.Option(help="simulated residents use the web page's HTTP API (default: in-process)")
    ] = False,
    workers: Annotated[int, typer.Option(
        help="bot worker processes (1: one process polls and handles; n: a parent polls, "
             "n workers handle)")] = 1,
    bare: Annotated[bool, typer.Option(
        "--bare", help="also run a bare aiogram bot with the same updates and Bot API calls")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Simulated residents through the sandbox: complete reports/s, reply latency, CPU per report."""
    import json
    import os

    from gridbot.bench.bot import BenchOptions, print_result, run_bench
    from gridbot.processes.shards import ShardError

    if residents < 1 or duration < 0 or warmup < 0 or reports < 1 or existing_cases < 0:
        fail("--residents and --reports must be at least 1; "
             "--duration, --warmup and --existing-cases not negative")
    opts = BenchOptions(
        residents=residents, duration=duration, warmup=warmup, reports=reports, nlu=nlu,
        database_url=database_url, redis_url=redis or os.environ.get("GRIDBOT_REDIS_URL") or None,
        workers=workers, existing_cases=existing_cases, http_residents=http_residents, bare=bare,
    )
    try:
        result = run_bench(opts, echo=lambda s: typer.echo(s, err=True))
    except ShardError as exc:
        fail(str(exc))
    print_result(result, typer.echo if not json_out else lambda s: typer.echo(s, err=True))
    if json_out:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))


@bench_app.command("proof")
def bench_proof_cmd(
    reports: Annotated[int, typer.Option(help="reports in all")] = 300,
    residents: Annotated[int, typer.Option(help="simulated residents (concurrent)")] = 30,
    worker_kills: Annotated[int, typer.Option(help="SIGKILLs of a webhook worker")] = 1,
    relay_kills: Annotated[int, typer.Option(help="SIGKILLs of the relay")] = 1,
    postgres_restarts: Annotated[int, typer.Option(help="PostgreSQL crash-restarts")] = 1,
    redis_restarts: Annotated[int, typer.Option(help="Redis restarts")] = 1,
    fault_rate: Annotated[float, typer.Option(help="share of Bot API calls that fail")] = 0.2,
    seed: Annotated[int, typer.Option(help="faults and kill moments")] = 1,
    json_out: Annotated[bool, typer.Option("--json", help="print only the JSON")] = False,
) -> None:
    """The production path under load and faults: two webhook workers, the relay, PostgreSQL and
    Redis (servers of its own), killed and restarted meanwhile; then every report and
    notification accounted for (exit 1 on a loss)."""
    import json

    from gridbot.bench.proof import ProofConfig, print_table, run_proof
    from gridbot.bench.proof_services import ServiceError

    cfg = ProofConfig(reports=reports, residents=residents, worker_kills=worker_kills,
                      relay_kills=relay_kills, postgres_restarts=postgres_restarts,
                      redis_restarts=redis_restarts, fault_rate=fault_rate, seed=seed)
    try:
        result = run_proof(cfg, echo=lambda s: typer.echo(s, err=True))
    except ServiceError as exc:
        fail(str(exc))
    typer.echo(json.dumps(result, ensure_ascii=False, indent=None if json_out else 2))
    if not json_out:
        print_table(result, typer.echo)
    if result["lost"] or result["wrong"] or result["notifications_undelivered"]:
        raise typer.Exit(1)


@app.command("corrections")
def corrections_export(
    out: Annotated[Path, typer.Option(help="JSONL file to write (for `gridbot nlu train --corrections`)")],
) -> None:
    """Export category corrections made by residents and dispatchers as labelled NLU examples."""
    from gridbot.cli.nlu_retrain import fetch_corrections
    from nlu.corpus import append_correction

    rows = fetch_corrections()
    out.unlink(missing_ok=True)
    for _, text, category in rows:
        append_correction(out, text, category)
    typer.echo(f"wrote {len(rows)} corrections to {out}")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)

