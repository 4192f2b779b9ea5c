"""`gridbot nlu ...`: classify, train, eval, export-rasa, bench.

Kept light on purpose: `gridbot nlu classify` must start fast, so every command
imports what it needs inside its own function (numpy and the model on classify,
scikit-learn only on train).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from nlu.bench import bench

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)


@dataclass
class Paths:
    """Where the deployment keeps models; set by the application (`configure`), which reads
    its settings. Without it: the shipped model, and ./data for trained ones."""

    data_dir: Path = Path("data")
    model: Path | None = None  # a fixed model directory (the deployment's GRIDBOT_NLU_MODEL)
    configure: Callable[[], tuple[Path, Path | None]] | None = None

    def resolve(self) -> Paths:
        if self.configure is not None:
            self.data_dir, self.model = self.configure()
            self.configure = None
        return self


PATHS = Paths()
app.command("bench", help="Speed: throughput, latency percentiles, load and training time.")(bench)

ModelOpt = Annotated[
    Path | None,
    typer.Option("--model", help="Model directory (default: $GRIDBOT_NLU_MODEL or the packaged model)."),
]
PlacesOpt = Annotated[
    Path | None,
    typer.Option("--places", help="Gazetteer place names, one per line, added at start-up."),
]


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"gridbot nlu: error: {message}", err=True)
    raise typer.Exit(code)


def _load(model: Path | None, places: Path | None = None) -> Any:
    from nlu.api import load_model
    from nlu.artifact import ModelError

    try:
        paths = PATHS.resolve()
        m = load_model(model or paths.model, data_dir=paths.data_dir)
    except ModelError as e:
        fail(str(e))
    if places is not None:
        try:
            names = places.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as e:
            fail(f"{places}: cannot read place names: {e}")
        m.add_places(n.strip() for n in names if n.strip() and not n.startswith("#"))
    return m


@app.command()
def classify(
    model: ModelOpt = None,
    strict: Annotated[bool, typer.Option("--strict", help="Stop at the first bad line.")] = False,
    places: PlacesOpt = None,
    workers: Annotated[int, typer.Option(
        "--workers", min=0, help="Processes for large inputs (0: one per CPU; 1: this process only).")] = 0,
) -> None:
    """Classify JSON Lines {"id", "text"} from stdin; one JSON line per input on stdout.

    A bad line (not UTF-8, not a JSON object, no text or a text that is not a string)
    is reported on stderr with its line number and skipped; the other lines are
    answered. Exit status: 0 when every line was answered; 1 when any line was bad
    (with --strict the first bad line stops the stream) or the model cannot be loaded.
    """
    from nlu.pool import WorkerDied, classify_pooled
    from nlu.stream import available_lines

    m = _load(model, places)
    out = sys.stdout.buffer

    def write(b: bytes) -> None:
        out.write(b)
        out.flush()

    def error(msg: str) -> None:
        print(f"gridbot nlu classify: {msg}", file=sys.stderr, flush=True)

    try:
        bad = classify_pooled(m, available_lines(sys.stdin.buffer), write, error, strict=strict,
                              workers=workers)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(1) from None
    except WorkerDied as e:
        fail(str(e))
    if bad:
        raise typer.Exit(1)


def _examples(paths: list[Path]) -> list[Any]:
    from nlu.corpus import CorpusError, load_examples

    try:
        return load_examples(paths)
    except CorpusError as e:
        fail(str(e))


def _default_out() -> Path:
    return PATHS.resolve().data_dir / "nlu-model"


DataOpt = Annotated[
    list[Path] | None,
    typer.Option("--data", help="Rasa YAML / JSONL files or directories "
                 "(default: the packaged corpus nlu/data/train)."),
]
CorrectionsOpt = Annotated[
    list[Path] | None,
    typer.Option("--corrections", help="JSONL corrections to include as well."),
]


@app.command()
def train(
    data: DataOpt = None,
    corrections: CorrectionsOpt = None,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Model directory to write (default: $GRIDBOT_DATA_DIR/nlu-model).")] = None,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    dev: Annotated[list[Path] | None, typer.Option(
        "--dev", help="Held-out data to score into metadata.json "
        "(default: the packaged dev set when --data is not given; never trained on).")] = None,
    no_dev: Annotated[bool, typer.Option("--no-dev", help="Do not score a dev set.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Train a model from Rasa NLU YAML (+ corrections) into a model directory."""
    import time

    from nlu.api import PACKAGED_DEV_DIR, PACKAGED_TRAIN_DIR

    t0 = time.perf_counter()
    paths = list(data) if data else [PACKAGED_TRAIN_DIR]
    paths += list(corrections or [])
    examples = _examples(paths)
    if no_dev:
        dev_paths: list[Path] = []
    elif dev:
        dev_paths = list(dev)
    else:
        dev_paths = [PACKAGED_DEV_DIR] if PACKAGED_DEV_DIR.is_dir() and not data else []
    dev_examples = _examples(dev_paths) if dev_paths else []
    out_dir = out or _default_out()

    from nlu.artifact import load_model_dir, save_model
    from nlu.train import TrainConfig
    from nlu.train import train as fit

    def log(msg: str) -> None:
        if not quiet:
            typer.echo(msg, err=True)

    model = fit(examples, TrainConfig(seed=seed), paths, log=log)
    save_model(model, out_dir)
    if dev_examples:
        from dispatch.domain.taxonomy import load_taxonomy
        from nlu.api import ASK_THRESHOLD
        from nlu.evaluate import evaluate

        loaded = load_model_dir(out_dir)
        r = evaluate(dev_examples, loaded.predict_batch([e.text for e in dev_examples]),
                     load_taxonomy().category_ids, ASK_THRESHOLD)
        model.metadata["metrics"]["dev"] = {
            "files": [str(p) for p in dev_paths], "n": r["n"],
            **{k: round(r[k], 4) for k in ("category_macro_f1", "intent_accuracy",
                                           "label_accuracy", "category_top3_recall", "ece")},
            "emergency_recall": r["emergency"]["recall"],
            "emergency_false_alarm_rate": r["emergency"]["false_alarm_rate"],
        }
        log("dev: " + json.dumps(model.metadata["metrics"]["dev"], ensure_ascii=False))
    model.metadata["training_seconds_total"] = round(time.perf_counter() - t0, 2)
    save_model(model, out_dir)
    typer.echo(f"wrote {out_dir} ({len(examples)} examples, {time.perf_counter() - t0:.1f}s); "
               f"use it with --model {out_dir} or GRIDBOT_NLU_MODEL={out_dir}")


@app.command("eval")
def eval_(
    data: Annotated[list[Path], typer.Option(
        "--data", help="Labelled JSONL or Rasa YAML (files or directories).")],
    model: ModelOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the full result as JSON.")] = False,
    places: PlacesOpt = None,
) -> None:
    """Per-category P/R/F1, macro-F1, intent accuracy, emergency recall/false alarms,
    top confusions and a reliability table."""
    from dispatch.domain.taxonomy import load_taxonomy
    from nlu.api import ASK_THRESHOLD
    from nlu.evaluate import evaluate, format_report

    examples = _examples(data)
    if not examples:
        fail("no examples")
    m = _load(model, places)
    preds = m.predict_batch([e.text for e in examples])
    r = evaluate(examples, preds, load_taxonomy().category_ids, ASK_THRESHOLD)
    if as_json:
        typer.echo(json.dumps(r, ensure_ascii=False, indent=2))
    else:
        typer.echo(format_report(r))


@app.command("export-rasa")
def export_rasa(
    out: Annotated[Path | None, typer.Option("--out", help="File to write (default: stdout).")] = None,
    data: DataOpt = None,
    corrections: CorrectionsOpt = None,
) -> None:
    """Write the training data (plus corrections) as one Rasa NLU YAML file."""
    from nlu.api import PACKAGED_TRAIN_DIR
    from nlu.corpus import to_rasa_yaml

    paths = (list(data) if data else [PACKAGED_TRAIN_DIR]) + list(corrections or [])
    examples = _examples(paths)
    text = to_rasa_yaml(examples, header="exported by `gridbot nlu export-rasa` from: "
                        + ", ".join(str(p) for p in paths))
    if out is None:
        sys.stdout.write(text)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {out} ({len(examples)} examples)", err=True)


if __name__ == "__main__":  # `python -m nlu.cli ...`, the same commands without the gridbot wrapper
    app()
