"""The browser tests' screenshots go to a test-output folder (``ARCOLLECT_SCREENSHOT_DIR``, else a gitignored
``build/e2e-screenshots``), never to the README's tracked docs/screenshots/ — ``make screenshots`` refreshes
those deliberately."""

from __future__ import annotations

import hashlib
import subprocess

from tests.e2e import conftest as e2e
from tests.e2e.conftest import shoot

DOCS = e2e.REPO / "docs"


def _fingerprint() -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((DOCS / "screenshots").glob("*.png"))}


def test_shoot_writes_to_the_test_output_folder_and_leaves_docs_alone(page, live, tmp_path, monkeypatch):  # noqa: ANN001
    before = _fingerprint()
    monkeypatch.setenv("ARCOLLECT_SCREENSHOT_DIR", str(tmp_path / "shots"))
    page.goto("/login")
    shoot(page, live, "login")
    assert (tmp_path / "shots" / live.backend / "login.png").read_bytes()[:4] == b"\x89PNG"
    assert _fingerprint() == before
    status = subprocess.run(["git", "status", "--porcelain", "docs/"], cwd=e2e.REPO, capture_output=True, text=True)
    assert status.returncode != 0 or status.stdout == "", status.stdout


def test_the_default_folder_is_gitignored_and_outside_docs(monkeypatch):
    monkeypatch.delenv("ARCOLLECT_SCREENSHOT_DIR", raising=False)
    folder = e2e.screenshot_dir()
    assert DOCS not in folder.parents and folder != DOCS
    ignored = subprocess.run(["git", "check-ignore", "-q", str(folder / "x.png")], cwd=e2e.REPO)
    assert ignored.returncode == 0, f"{folder} is not ignored by git"


def test_the_readme_shows_existing_images_and_make_screenshots_makes_each_of_them():
    import re

    script = (e2e.REPO / "scripts" / "screenshots.py").read_text(encoding="utf-8")
    for doc in [e2e.REPO / "README.md", *sorted(DOCS.glob("*.md"))]:
        for image in re.findall(r"\]\(((?:docs/)?screenshots/[^)]+\.png)\)", doc.read_text(encoding="utf-8")):
            path = (doc.parent / image).resolve()
            assert path.is_file(), f"{doc.name} shows {image}, which does not exist"
            assert f'"{path.stem}"' in script, f"make screenshots does not make {image}"
