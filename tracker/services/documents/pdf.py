"""PDF output: one `create_pdf()` over WeasyPrint, with a fetcher that fetches nothing, and the font check.

Every PDF the product writes goes through here. The HTML is built from our own
templates with user text escaped; even so the URL fetcher refuses every URL
but inline `data:` ones, so a title like `<img src=file:///etc/passwd>` could
never read a local file or reach the network.

Fonts: WeasyPrint silently falls back to whatever fontconfig offers when a
family is missing, which for Chinese text can mean empty boxes. So the
configured families are checked with fontconfig (`fc-list :lang=zh-cn`) at
start and before each render, and a missing one is a clear error instead.
"""
import logging
import shutil
import subprocess
import threading

from flask import current_app

log = logging.getLogger(__name__)

# Config keys naming the bulletin's font families (DESIGN, Fonts), with the role each plays.
FONT_SETTINGS = {
    "BULLETIN_FONT_BODY": "body text (仿宋)",
    "BULLETIN_FONT_TITLE": "title (小标宋)",
    "BULLETIN_FONT_HEI": "level-1 headings (黑体)",
    "BULLETIN_FONT_KAI": "level-2 headings (楷体)",
    "BULLETIN_FONT_FALLBACK": "fallback for rare characters",
}
UNSAFE_IN_CSS = set('"\\;{}<>\n\r')
_families_lock = threading.Lock()
_zh_families = None  # set of family names fontconfig knows with Chinese coverage; read once per process


class FontError(RuntimeError):
    """A configured font is not installed or cannot show Chinese: nothing is rendered."""


def chinese_font_families(refresh=False):
    """The font family names fontconfig has with simplified-Chinese coverage (cached per process)."""
    global _zh_families
    with _families_lock:
        if _zh_families is None or refresh:
            _zh_families = _list_families()
        return _zh_families


def _list_families():
    """Ask fontconfig (one `fc-list` call, ~30 ms) for the families that cover zh-cn."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        raise FontError("fontconfig's fc-list is not installed, so the bulletin fonts cannot be checked: "
                        "install the fontconfig package (scripts/install-system-deps.sh run).")
    result = subprocess.run([fc_list, "--format", "%{family}\n", ":lang=zh-cn"], capture_output=True,
                            text=True, timeout=30, check=False)
    families = set()
    for line in result.stdout.splitlines():
        # One line per font file; a family with localized names is "English,中文".
        families.update(name.strip() for name in line.split(",") if name.strip())
    return families


def font_problems(config):
    """One message per configured bulletin font that fontconfig does not have with Chinese glyphs."""
    installed = chinese_font_families()
    problems = []
    for key, role in FONT_SETTINGS.items():
        family = (config.get(key) or "").strip()
        if not family:
            problems.append(f"{key} is empty: name the font family for the bulletin's {role}.")
        elif family not in installed:
            problems.append(
                f"{key}={family!r} ({role}) is not installed or has no Chinese glyphs according to "
                f"fontconfig. Install it, or set {key} to one of the families `fc-list :lang=zh-cn family` "
                f"lists (scripts/install-system-deps.sh run installs the free defaults).")
    return problems


def check_fonts(config=None):
    """Raise FontError naming every configured font that is missing; cheap after the first call."""
    problems = font_problems(config if config is not None else current_app.config)
    if problems:
        raise FontError("Bulletin fonts missing: " + " ".join(problems))


def font_stack(family, config=None):
    """A CSS font-family value: the configured family, then the fallback CJK family (both quoted)."""
    config = config if config is not None else current_app.config
    names = dict.fromkeys([config[family], config["BULLETIN_FONT_FALLBACK"]])
    # Names go into a <style> element, where HTML escaping does not apply: keep only harmless characters.
    return ", ".join('"' + "".join(ch for ch in name if ch not in UNSAFE_IN_CSS) + '"' for name in names) + ", serif"


def font_stacks(config):
    """The CSS font-family value of each role (body, title, hei, kai), each naming the configured CJK font."""
    return {role: font_stack(f"BULLETIN_FONT_{role.upper()}", config) for role in ("body", "title", "hei", "kai")}


def _fetcher():
    """A WeasyPrint URL fetcher that only serves inline data: URIs and refuses everything else."""
    from weasyprint import URLFetcher

    class _Refusing(URLFetcher):
        """Fetch nothing from files or the network: the bulletin's HTML needs no outside resource."""

        def fetch(self, url, headers=None):
            """Serve data: URIs; refuse (and log) any other URL."""
            if url.lower().startswith("data:"):
                return super().fetch(url, headers)
            log.warning("PDF rendering refused to fetch %.200s", url)
            raise ValueError(f"fetching {url[:200]!r} is not allowed in PDFs")

    return _Refusing(timeout=1, allow_redirects=False, fail_on_errors=False)


def create_pdf(html, config=None, adjust=None):
    """Render HTML (already escaped, self-contained) to PDF bytes, after checking the fonts.

    `adjust(document)`, when given, may move laid-out boxes (WeasyPrint's Document) before
    the PDF is written, e.g. the bulletin's 版记 to the foot of its last page.
    """
    from weasyprint import HTML

    check_fonts(config)
    # base_url None: relative URLs resolve to nothing, and the fetcher refuses absolute ones.
    document = HTML(string=html, base_url=None, url_fetcher=_fetcher()).render()
    if adjust is not None:
        adjust(document)
    return document.write_pdf()


def element_boxes(page, element_id):
    """The laid-out block boxes of the element with that id on a page of a rendered Document."""
    return [box for box in page._page_box.descendants()
            if getattr(box, "element", None) is not None and box.element.get("id") == element_id
            and box.element_tag and type(box).__name__ == "BlockBox"]


def to_page_foot(document, element_id):
    """Move the element (when it ends the document) down to the foot of the text block of the last page."""
    page = document.pages[-1]
    boxes = element_boxes(page, element_id)
    if len(boxes) != 1:
        return False  # split across pages, or absent: left where it is
    box, frame = boxes[0], page._page_box
    shift = frame.content_box_y() + frame.height - (box.position_y + box.margin_height())
    if shift > 0:
        box.translate(0, shift)
    return True
