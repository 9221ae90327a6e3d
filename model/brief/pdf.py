"""HTML to PDF with headless Chromium's print engine (a real renderer: same layout as on screen).

Chromium is a system package (Debian: ``apt-get install chromium``), not a Python one, so it may be
absent: :func:`find_chromium` returns ``None`` and :func:`html_to_pdf` raises
:class:`PdfUnavailable` with a message that says what to install; callers still write the HTML.
Set ``CEA_CHROMIUM`` to use a browser that is not on ``PATH``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from model.io import temp_beside

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Headless, no sandbox (containers run as root), and no background network traffic: the machine
# may have no network, and a run must never reach out.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-quic", "--disable-extensions", "--no-pdf-header-footer", "--hide-scrollbars")
TIMEOUT_S = 120


class PdfUnavailable(RuntimeError):
    """No PDF could be made (no browser, or the browser failed); the message says why."""


def find_chromium() -> str | None:
    """Path of a Chromium-family browser: ``$CEA_CHROMIUM`` if set, else the first on ``PATH``."""
    env = os.environ.get("CEA_CHROMIUM")
    if env:
        return env if Path(env).exists() else None
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


def html_to_pdf(html: str | Path, pdf: str | Path) -> Path:
    """Print ``html`` (a file) to ``pdf`` with headless Chromium; page size and margins come from the
    page's ``@page`` rule. Written to a temporary name and renamed (no half-written PDF)."""
    browser = find_chromium()
    if browser is None and os.environ.get("CEA_CHROMIUM"):
        raise PdfUnavailable(f"no PDF: CEA_CHROMIUM={os.environ['CEA_CHROMIUM']} does not exist; the HTML brief "
                             "is written")
    if browser is None:
        raise PdfUnavailable("no PDF: Chromium not found (install Debian's 'chromium' package or set "
                             "CEA_CHROMIUM); the HTML brief is written")
    html, pdf = Path(html).resolve(), Path(pdf)
    tmp = temp_beside(pdf, suffix=".pdf")  # unique per call: concurrent runs never share it
    with tempfile.TemporaryDirectory(prefix="cea-chromium-") as profile:
        cmd = [browser, *FLAGS, f"--user-data-dir={profile}", f"--print-to-pdf={tmp}", html.as_uri()]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            tmp.unlink(missing_ok=True)
            raise PdfUnavailable(f"no PDF: {browser} did not finish within {TIMEOUT_S} s") from None
    if proc.returncode != 0 or not tmp.exists() or tmp.stat().st_size == 0:
        tmp.unlink(missing_ok=True)
        tail = (proc.stderr or "").strip().splitlines()[-1:] or ["no message"]
        raise PdfUnavailable(f"no PDF: {browser} exited {proc.returncode} ({tail[0][:200]})")
    os.replace(tmp, pdf)
    return pdf
