"""HTML to PDF with headless Chromium's print engine (a real renderer: same layout as on screen).

Chromium is a system package (Debian: ``apt-get install chromium``), not a Python one, so it may be
absent: :func:`find_chromium` returns ``None`` and :func:`html_to_pdf` raises
:class:`PdfUnavailable` with a message that says what to install; callers still write the HTML.
Set ``CEA_CHROMIUM`` to use a browser that is not on ``PATH``.

One browser per worker thread prints every brief that thread makes (:class:`Browser`: Chromium
started once, driven over ``--remote-debugging-pipe`` with the DevTools protocol, no network
port and no extra package), which saves a browser start per brief. Its pages are those of
Chromium's own ``--print-to-pdf`` (A4 from the page's ``@page`` rule, backgrounds, no header or
footer): the same text page by page and the same pixels (checked with pdftoppm). If it fails
for any reason, that brief is printed by a one-off ``chromium --print-to-pdf`` and the next
brief starts a new browser.
"""

from __future__ import annotations

import atexit
import base64
import json
import os
import select
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from model.io import temp_beside

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Headless, no sandbox (containers run as root), and no background network traffic: the machine
# may have no network, and a run must never reach out.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-quic", "--disable-extensions", "--no-pdf-header-footer", "--hide-scrollbars")
# what --print-to-pdf --no-pdf-header-footer prints with: the page's own size, backgrounds, no header
PRINT = {"printBackground": True, "preferCSSPageSize": True, "displayHeaderFooter": False}
# the kept browser: the same flags but --no-pdf-header-footer, which makes its renderers exit when
# a page is opened over the DevTools pipe (Chromium 156); PRINT says the same per page
KEPT_FLAGS = tuple(f for f in FLAGS if f != "--no-pdf-header-footer")
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
    try:
        try:
            Browser.for_this_thread(browser).print(html.as_uri(), tmp)
        except (BrowserError, OSError, ValueError):
            Browser.drop_this_thread()  # a browser in doubt is not reused; this brief is printed once-off
            _print_once(browser, html, tmp)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, pdf)
    return pdf


def _print_once(browser: str, html: Path, tmp: Path) -> None:
    """``chromium --print-to-pdf``: a browser started for this one file."""
    with tempfile.TemporaryDirectory(prefix="cea-chromium-") as profile:
        cmd = [browser, *FLAGS, f"--user-data-dir={profile}", f"--print-to-pdf={tmp}", html.as_uri()]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            raise PdfUnavailable(f"no PDF: {browser} did not finish within {TIMEOUT_S} s") from None
    if proc.returncode != 0 or not tmp.exists() or tmp.stat().st_size == 0:
        tail = (proc.stderr or "").strip().splitlines()[-1:] or ["no message"]
        raise PdfUnavailable(f"no PDF: {browser} exited {proc.returncode} ({tail[0][:200]})")


class BrowserError(RuntimeError):
    """The kept browser did not answer, closed its pipe or reported an error."""


class Browser:
    """A headless Chromium kept running to print page after page, driven over a pipe
    (``--remote-debugging-pipe``: the DevTools protocol, JSON messages ending in a NUL byte, sent on
    the browser's file descriptor 3 and read from its 4). One per thread (:meth:`for_this_thread`)."""

    _local = threading.local()
    _all: list[Browser] = []

    def __init__(self, path: str):
        self.path = path
        self.profile = tempfile.mkdtemp(prefix="cea-chromium-")
        child_in, self._to = os.pipe()
        self._from, child_out = os.pipe()

        def on_fds_3_and_4():  # in the child, before exec
            os.dup2(child_in, 3)
            os.dup2(child_out, 4)

        try:
            self.proc = subprocess.Popen(
                [path, *KEPT_FLAGS, "--remote-debugging-pipe", f"--user-data-dir={self.profile}", "about:blank"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                pass_fds=(3, 4), preexec_fn=on_fds_3_and_4)  # noqa: PLW1509 - only dup2 runs there
        finally:
            os.close(child_in)
            os.close(child_out)
        self._buffer = b""
        self._id = 0
        self.printed = 0  # pages printed by this browser
        Browser._all.append(self)

    @classmethod
    def for_this_thread(cls, path: str) -> Browser:
        """This thread's browser, started on first use (or when ``path`` changed)."""
        kept = getattr(cls._local, "browser", None)
        if kept is not None and (kept.path != path or kept.proc.poll() is not None):
            cls.drop_this_thread()
            kept = None
        if kept is None:
            kept = cls._local.browser = Browser(path)
        return kept

    @classmethod
    def drop_this_thread(cls) -> None:
        kept = getattr(cls._local, "browser", None)
        cls._local.browser = None
        if kept is not None:
            kept.close()

    def print(self, url: str, target: Path) -> None:
        """Open ``url`` in a new tab, wait for its load event, print it to ``target``, close the tab."""
        tab = self._call("Target.createTarget", {"url": "about:blank"})["targetId"]
        try:
            session = self._call("Target.attachToTarget", {"targetId": tab, "flatten": True})["sessionId"]
            self._call("Page.enable", session=session)
            self._call("Page.navigate", {"url": url}, session=session)
            self._wait_for("Page.loadEventFired", session)
            data = self._call("Page.printToPDF", PRINT, session=session)["data"]
            Path(target).write_bytes(base64.b64decode(data))
            self.printed += 1
        finally:
            try:
                self._call("Target.closeTarget", {"targetId": tab})
            except BrowserError:
                pass  # the tab is gone already (a renderer that exited): the first error is the one to report
        if not Path(target).stat().st_size:
            raise BrowserError("the browser printed an empty PDF")

    def _send(self, method: str, params: dict | None, session: str | None) -> int:
        self._id += 1
        message = {"id": self._id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to, json.dumps(message).encode() + b"\0")
        return self._id

    def _read(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._from], [], [], max(left, 0))
            if not ready:
                raise BrowserError(f"the browser did not answer within {TIMEOUT_S} s")
            chunk = os.read(self._from, 1 << 20)
            if not chunk:
                raise BrowserError("the browser closed its pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def _call(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        sent, deadline = self._send(method, params, session), time.monotonic() + TIMEOUT_S
        while True:
            message = self._read(deadline)
            if message.get("id") == sent:
                if "error" in message:
                    raise BrowserError(f"{method}: {message['error'].get('message')}")
                return message.get("result", {})

    def _wait_for(self, event: str, session: str) -> None:
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            message = self._read(deadline)
            if message.get("sessionId") == session and message.get("method") == "Inspector.detached":
                raise BrowserError(f"the page closed: {message.get('params', {}).get('reason')}")
            if message.get("method") == event and message.get("sessionId") == session:
                return

    def close(self) -> None:
        """Stop the browser and remove its profile."""
        if self in Browser._all:
            Browser._all.remove(self)
        for fd in (self._to, self._from):
            try:
                os.close(fd)
            except OSError:
                pass
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


@atexit.register
def _close_all() -> None:
    for browser in list(Browser._all):
        browser.close()
