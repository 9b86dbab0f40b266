"""Stage the sources the Android build packages: ``python -m phone.apk.stage [DEST]``.

buildozer packages one folder holding ``main.py``; the guide needs its own package
and the few modules of others it imports (no hub server, no Pillow, no click).
The bleak recipe for python-for-android is copied from the installed bleak.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Whole packages (their .py and .kv files), then single modules, relative to the repo.
PACKAGES = ("phone", "hub/client")
MODULES = (
    "cimaise/__init__.py",
    "cimaise/errors.py",
    "cimaise/settings.py",
    "hub/__init__.py",
    "beacon_agent/__init__.py",
    "beacon_agent/frames.py",
    "beacon_agent/smoothing.py",
    "beacon_agent/trace.py",
    "kiosk/__init__.py",
    "kiosk/catalog.py",
    "kiosk/strings.py",
    "kiosk/theme.py",
    "kiosk/widgets.py",
)


def stage(dest: Path, repo: Path = REPO) -> list[Path]:
    """Copy the guide's sources to ``dest`` (emptied first); returns the files copied."""
    if dest.exists():
        shutil.rmtree(dest)
    copied: list[Path] = []
    for package in PACKAGES:
        for file in sorted((repo / package).rglob("*")):
            if file.suffix in {".py", ".kv"} and "__pycache__" not in file.parts:
                copied.append(file.relative_to(repo))
    copied.extend(Path(m) for m in MODULES)
    for rel in copied:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(repo / rel, target)
    shutil.copy2(repo / "phone" / "apk" / "main.py", dest / "main.py")
    return copied


def stage_bleak_recipe(dest: Path) -> Path:
    """Copy bleak's python-for-android recipe to ``dest/bleak``."""
    spec = importlib.util.find_spec("bleak")
    if spec is None or spec.origin is None:
        raise SystemExit("bleak is not installed: pip install 'cimaise[phone]'")
    recipe = Path(spec.origin).parent / "backends" / "p4android" / "recipes" / "bleak"
    target = dest / "bleak"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(recipe, target)
    return target


def main(argv: list[str]) -> None:
    dest = Path(argv[0]) if argv else REPO / "build" / "phone-apk"
    files = stage(dest)
    recipe = stage_bleak_recipe(dest.parent / "p4a-recipes")
    sys.stdout.write(f"staged {len(files)} files in {dest}; bleak recipe in {recipe}\n")


if __name__ == "__main__":
    main(sys.argv[1:])
