"""`gridbot nlu retrain` and `gridbot nlu rollback`: the corrections people made, learnt
behind a gate (nlu/retrain.py), into the data directory's model store (nlu/store.py)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

EXIT_REFUSED = 3


def _fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"gridbot nlu: error: {message}", err=True)
    raise typer.Exit(code)


async def _fetch(settings: Any) -> list[tuple[int, str, str]]:
    from gridbot.bootstrap import bootstrap

    app_ = await bootstrap(settings)
    try:
        async with app_.uow() as uow:
            return [(c.id, c.text, c.category) for c in await uow.corrections.all() if c.text.strip()]
    finally:
        await app_.close()


def _settings() -> Any:
    from dispatch.settings import Settings

    return Settings()


def _data_dir() -> Path:
    return Path(_settings().data_dir)


def fetch_corrections() -> list[tuple[int, str, str]]:
    """(id, text, category) of every stored correction, oldest first."""
    from dispatch.settings import Settings

    return asyncio.run(_fetch(Settings()))


def _examples_from_db(warn: Any) -> list[Any]:
    from nlu.corpus import REPORT, CorpusError, Example, parse_label

    out = []
    for cid, text, category in fetch_corrections():
        try:
            parse_label(f"{REPORT}/{category}", f"correction {cid}")
        except CorpusError as e:  # a category since removed from the taxonomy: kept in the database
            warn(f"skipped: {e}")
            continue
        out.append(Example(text.strip(), REPORT, category, None, f"correction {cid}"))
    return out


def _due(last: str | None, every_days: float, now: datetime) -> bool:
    if last is None:
        return True
    try:
        when = datetime.fromisoformat(last)
    except ValueError:
        return True
    return now - when >= timedelta(days=every_days)


def retrain(
    corrections: Annotated[list[Path] | None, typer.Option(
        "--corrections", help="JSONL corrections (default: the corrections stored in the database).")] = None,
    data: Annotated[list[Path] | None, typer.Option(
        "--data", help="Training corpus (default: the packaged nlu/data/train).")] = None,
    dev: Annotated[list[Path] | None, typer.Option(
        "--dev", help="Dev set the gate compares on (default: the packaged nlu/data/dev).")] = None,
    tolerance: Annotated[float, typer.Option(
        "--tolerance", help="How much worse a score may be and still count as not worse.")] = 0.005,
    if_due: Annotated[float | None, typer.Option(
        "--if-due", help="Only if the last retrain is at least this many days old (for schedules).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Train a candidate on the corpus plus the corrections; activate it only if it is not
    worse than the running model on the dev set and on a held-back slice of the corrections.

    Exit status: 0 activated (or not due / nothing to learn), 3 refused, 1 error."""
    from nlu.api import PACKAGED_DEV_DIR, PACKAGED_MODEL_DIR, PACKAGED_TRAIN_DIR
    from nlu.artifact import ModelError, load_model_dir
    from nlu.corpus import CorpusError, load_examples
    from nlu.store import StoreError, active_dir, read_state, store_dir

    store = store_dir(_data_dir())
    now = datetime.now(UTC)

    def log(msg: str) -> None:
        if not quiet:
            typer.echo(msg, err=True)

    try:
        state = read_state(store)
    except StoreError as e:
        _fail(str(e))
    if if_due is not None and not _due(state.last_retrain, if_due, now):
        log(f"not due: last retrain {state.last_retrain}, every {if_due:g} days")
        return
    try:
        examples = load_examples(corrections) if corrections else _examples_from_db(log)
    except CorpusError as e:
        _fail(str(e))
    if not examples:
        from nlu.store import mark_retrain

        mark_retrain(store, now)
        typer.echo("no corrections to learn from: the running model stays")
        return
    current_dir = active_dir(store)
    try:
        current = load_model_dir(current_dir or PACKAGED_MODEL_DIR)
    except ModelError as e:
        _fail(str(e))
    from nlu.retrain import retrain as run

    try:
        result = run(
            store, examples,
            train_paths=list(data) if data else [PACKAGED_TRAIN_DIR],
            dev_paths=list(dev) if dev else [PACKAGED_DEV_DIR],
            current=current, current_name=current_dir.name if current_dir else "shipped",
            tolerance=tolerance, now=now, log=log,
        )
    except (CorpusError, StoreError, ValueError) as e:
        _fail(str(e))
    typer.echo(result.summary())
    typer.echo(f"candidate: {store / (result.version or '')} (comparison in its metadata.json)")
    if _settings().nlu_model_dir is not None:
        typer.echo("note: GRIDBOT_NLU_MODEL is set, so processes load that model, not the store's", err=True)
    if not result.accepted:
        raise typer.Exit(EXIT_REFUSED)


def rollback() -> None:
    """Restore the model that was active before the current one (the shipped model if none);
    running processes pick it up within ~15 s."""
    from nlu.store import StoreError, store_dir
    from nlu.store import rollback as undo

    try:
        state = undo(store_dir(_data_dir()))
    except StoreError as e:
        _fail(str(e))
    typer.echo(f"active model: {state.active or 'shipped (packaged) model'}")
