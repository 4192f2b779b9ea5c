"""What a plain install and the Docker image hold: every module the packaged code imports is a
runtime dependency (not only in the `test` extra), and the files the Dockerfile copies build a
wheel with every package of pyproject.toml, templates and static files included.

There is no Docker engine in the test environment, so the image's file set is built the way
`docker build` would: the COPY lines of the Dockerfile applied to the tracked files of the
repository (a clean clone), then the Dockerfile's own `pip install .` replaced by building
the wheel from exactly those files."""

from __future__ import annotations

import ast
import fnmatch
import glob
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
import zipfile
from importlib.metadata import packages_distributions
from pathlib import Path, PurePosixPath

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(req: str) -> str:
    return _norm(re.split(r"[\s\[=<>!~;]", req, maxsplit=1)[0])


def tracked_files() -> list[str]:
    r = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True)
    return [f for f in r.stdout.split("\0") if f and (ROOT / f).is_file()]


def packages() -> list[str]:
    """The packages setuptools finds, with the include patterns of pyproject.toml."""
    include = PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]
    found = set()
    for init in (ROOT / p for p in tracked_files() if p.endswith("/__init__.py")):
        name = ".".join(init.parent.relative_to(ROOT).parts)
        if any(fnmatch.fnmatchcase(name, pat) for pat in include):
            found.add(name)
    return sorted(found)


def top_packages() -> list[str]:
    return sorted({p.split(".")[0] for p in packages()})


def imported_top_modules(package_dirs: list[str]) -> dict[str, set[str]]:
    """Top-level module → files importing it, over every packaged .py file (lazy imports too)."""
    out: dict[str, set[str]] = {}
    for rel in tracked_files():
        if not rel.endswith(".py") or rel.split("/")[0] not in package_dirs:
            continue
        tree = ast.parse((ROOT / rel).read_text("utf-8"), rel)
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                out.setdefault(name.split(".")[0], set()).add(rel)
    return out


def test_every_imported_module_is_a_runtime_dependency() -> None:
    own = set(top_packages())
    runtime = {_requirement_name(r) for r in PYPROJECT["project"]["dependencies"]}
    dists = packages_distributions()
    missing = []
    for module, files in sorted(imported_top_modules(sorted(own)).items()):
        if module in own or module in sys.stdlib_module_names or module == "__future__":
            continue
        providers = {_norm(d) for d in dists.get(module, [])}
        assert providers, f"{module} (imported by {sorted(files)[:3]}) is not installed at all"
        if not providers & runtime:
            missing.append(f"{module} ({', '.join(sorted(providers))}; imported by {sorted(files)[0]})")
    assert not missing, "imported but not in [project].dependencies: " + "; ".join(missing)


def test_runtime_dependencies_are_pinned() -> None:
    loose = [r for r in PYPROJECT["project"]["dependencies"] if "==" not in r]
    assert not loose, loose


# -- the Docker image ---------------------------------------------------------------------------
def dockerfile_copies() -> list[tuple[list[str], str]]:
    """(sources, destination) of each COPY line, relative to the build context / WORKDIR."""
    out = []
    workdir = "/"
    for line in (ROOT / "Dockerfile").read_text("utf-8").splitlines():
        words = shlex.split(line, comments=True)
        if not words:
            continue
        if words[0].upper() == "WORKDIR":
            workdir = words[1]
        elif words[0].upper() == "COPY":
            args = [w for w in words[1:] if not w.startswith("--")]
            dest = args[-1]
            if not dest.startswith("/"):
                dest = str(PurePosixPath(workdir) / dest)
            out.append((args[:-1], dest))
    return out


def image_tree(into: Path) -> Path:
    """The files the Dockerfile's COPY lines put under WORKDIR, from the tracked files."""
    copies = dockerfile_copies()
    workdir = next(
        (ln.split()[1] for ln in (ROOT / "Dockerfile").read_text("utf-8").splitlines()
         if ln.upper().startswith("WORKDIR")), "/")
    files = tracked_files()
    for sources, dest in copies:
        for src in sources:
            src = src.rstrip("/")
            chosen = [f for f in files if f == src or f.startswith(src + "/") or fnmatch.fnmatchcase(f, src)]
            assert chosen, f"COPY {src}: nothing tracked by that name"
            for f in chosen:
                if f == src or fnmatch.fnmatchcase(f, src):  # a file: into dest (a dir if it ends in /)
                    target = PurePosixPath(dest) / PurePosixPath(f).name if dest.endswith("/") or len(
                        sources) > 1 else PurePosixPath(dest)
                else:  # a directory: its contents into dest
                    target = PurePosixPath(dest) / PurePosixPath(f).relative_to(src)
                rel = target.relative_to(workdir)
                (into / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / f, into / rel)
    return into


def expected_package_files() -> set[str]:
    """Every packaged .py file and every tracked file the package-data globs select (expanded
    as setuptools does: glob relative to the package directory, `**` recursive)."""
    files = set(tracked_files())
    pkgs = set(packages())
    want = {f for f in files if f.endswith(".py") and ".".join(PurePosixPath(f).parent.parts) in pkgs}
    for pkg, globs in PYPROJECT["tool"]["setuptools"]["package-data"].items():
        base = ROOT / pkg.replace(".", "/")
        for g in globs:
            for hit in glob.glob(g, root_dir=base, recursive=True):
                rel = (base / hit).relative_to(ROOT).as_posix()
                if rel in files:
                    want.add(rel)
    return want


def test_the_dockerfile_copies_every_package() -> None:
    copied_tops = {PurePosixPath(src.rstrip("/")).parts[0] for srcs, _ in dockerfile_copies() for src in srcs}
    missing = [p for p in top_packages() if p not in copied_tops]
    assert not missing, f"packages in pyproject.toml that the Dockerfile does not COPY: {missing}"


@pytest.mark.slow
def test_the_image_files_build_a_wheel_with_every_package_and_its_data(tmp_path: Path) -> None:
    tree = image_tree(tmp_path / "app")
    r = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
         "-w", str(tmp_path / "dist"), str(tree)],
        capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    (wheel,) = (tmp_path / "dist").glob("gridbot-*.whl")
    inside = set(zipfile.ZipFile(wheel).namelist())
    want = expected_package_files()
    assert {"admin/templates/login.html", "admin/static/vendor/leaflet/leaflet.js",
            "tgsandbox/static/index.html", "dispatch/domain/taxonomy.yaml"} <= want, "the expectation is incomplete"
    missing = sorted(want - inside)
    assert not missing, f"{len(missing)} files not in the image's wheel, e.g. {missing[:10]}"
