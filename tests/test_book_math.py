"""Check that math in the built book renders offline, with the MathJax copy the book ships.

A tiny book with one equation page is built with the project's ``_config.yml`` into a temporary
folder, served on the loopback interface and opened in headless Debian chromium. Chromium's host
resolver maps every name but 127.0.0.1 to "not found", so math that renders cannot have come
from a CDN.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MATHJAX_ROOT = REPO / "_mathjax"
MATHJAX_BUNDLE = MATHJAX_ROOT / "mathjax" / "es5" / "tex-chtml.js"
JUPYTER_BOOK = Path(sys.executable).with_name("jupyter-book")

PAGE = r"""# Equations

The sensing SNR grows with the snapshot count, $\gamma_n = p_n^s L_n a_n$.

```{math}
:label: eq-test-fraction
\theta_n = \frac{\left(2^{R_n^{\min} / B_n} - 1\right) \sigma^2 r_n^{\alpha_c}}{G_n^c \bar{h}}
```

Equation {eq}`eq-test-fraction` and the display

$$
p_n = \exp\left(-\frac{\theta_n}{p_n^c}\right)
$$

close the page.
"""

pytestmark = pytest.mark.browser


def _require(path: Path, tool: str, fix: str) -> None:
    """Skip when a tool is missing on a developer machine, but fail in CI, where make installs it."""
    if path.exists():
        return
    message = f"{tool} not found at {path}; {fix}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


class _RecordingHandler(http.server.SimpleHTTPRequestHandler):
    """Static file handler that records every requested path and its status."""

    requests: list[tuple[str, int]]

    def log_request(self, code="-", size="-"):
        self.requests.append((self.path, int(code) if str(code).isdigit() else 0))

    def log_message(self, format, *args):  # noqa: A002 - the name is fixed by the base class
        pass


@pytest.fixture(scope="module")
def built_page(tmp_path_factory):
    """Build the tiny book and return (HTML root, page HTML text)."""
    _require(MATHJAX_BUNDLE, "MathJax bundle", "run `make mathjax` (it installs the npm mathjax package)")
    _require(JUPYTER_BOOK, "jupyter-book", "install the book extra: pip install -e '.[book]'")
    root = tmp_path_factory.mktemp("mathbook")
    shutil.copy(REPO / "_config.yml", root / "_config.yml")
    (root / "book").mkdir()
    shutil.copy(REPO / "book" / "references.bib", root / "book" / "references.bib")
    os.symlink(MATHJAX_ROOT, root / "_mathjax", target_is_directory=True)
    (root / "_toc.yml").write_text("format: jb-book\nroot: index\nchapters:\n  - file: pages/equations\n")
    (root / "index.md").write_text("# Math test\n\nOne page with equations follows.\n")
    (root / "pages").mkdir()
    (root / "pages" / "equations.md").write_text(PAGE)
    result = subprocess.run(
        [str(JUPYTER_BOOK), "build", str(root), "-W", "--keep-going"],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    html_root = root / "_build" / "html"
    return html_root, (html_root / "pages" / "equations.html").read_text()


def test_page_loads_mathjax_locally(built_page):
    html_root, html = built_page
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', html)
    mathjax = [src for src in scripts if "mathjax" in src.lower() or "tex-chtml" in src]
    assert mathjax == ["../_static/../mathjax/es5/tex-chtml.js?v=" + mathjax[0].split("?v=")[1]]
    assert (html_root / "mathjax" / "es5" / "tex-chtml.js").is_file()
    assert (html_root / "mathjax" / "es5" / "output" / "chtml" / "fonts" / "woff-v2").is_dir()
    assert not re.search(r"https?://[^\"' ]*mathjax", html, flags=re.IGNORECASE)


def test_math_renders_offline_in_chromium(built_page):
    _require(Path("/usr/bin/chromium"), "Debian chromium", "run `make chromium` (apt-get install chromium)")
    html_root, _ = built_page
    _RecordingHandler.requests = []
    handler = functools.partial(_RecordingHandler, directory=str(html_root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with tempfile.TemporaryDirectory() as profile:
            url = f"http://127.0.0.1:{server.server_address[1]}/pages/equations.html"
            result = subprocess.run(
                [
                    "/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--no-first-run", f"--user-data-dir={profile}",
                    # Every host but the loopback server resolves to "not found".
                    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
                    "--virtual-time-budget=15000", "--dump-dom", url,
                ],
                capture_output=True, text=True, timeout=120,
            )
    finally:
        server.shutdown()
        server.server_close()
    dom = result.stdout
    assert result.returncode == 0, result.stderr[-2000:]

    # One inline formula, one labelled equation and one display: each becomes an mjx-container.
    containers = re.findall(r"<mjx-container\b[^>]*>", dom)
    assert len(containers) >= 3
    assert sum('display="true"' in tag for tag in containers) >= 2

    # No raw TeX is left in the page text.
    assert r"\frac" not in dom
    assert r"\gamma_n" not in dom
    assert r"\theta_n" not in dom

    # The bundle and its fonts came from the local server.
    served = {path.split("?")[0]: status for path, status in _RecordingHandler.requests}
    assert served.get("/mathjax/es5/tex-chtml.js") == 200
    fonts = [path for path in served if path.startswith("/mathjax/es5/output/chtml/fonts/woff-v2/")]
    assert fonts
    assert all(served[path] == 200 for path in fonts)
