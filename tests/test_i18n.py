"""Translations: complete catalogues for every UI language, placeholders intact, language switch.

The catalogues in translations/ are the source of truth for the UI text. Their
directories are named as Flask-Babel looks them up: babel parses the app's code
zh_CN as zh_Hans_CN, so Chinese lives in translations/zh_Hans_CN/. A fresh
extraction from the current source is compared with them, so a new `_()` string
that nobody translated fails here with the list of missing msgids. To fix it:
`make translations-update`, translate the new entries in both .po files (for en,
msgstr = msgid), then `pybabel compile -d translations -f` (make run/test does it).
"""
import io
import re
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from config import Config
from tests.conftest import DEMO_PASSWORD
from tracker.extensions import db
from tracker.models import User

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "translations"
LANGUAGES = sorted(Config.LANGUAGES)

# The same extraction as the Makefile's translations-update target. babel.cfg's
# patterns are relative to the input directory, hence the repository root as input;
# --ignore-dirs skips .venv/.git but, unlike babel's default, enters templates/_macros.
EXTRACT_ARGS = [
    "-F", str(ROOT / "babel.cfg"),
    "-k", "_l", "-k", "lazy_gettext", "-k", "lazy_ngettext:1,2",
    "--ignore-dirs", ".* __pycache__",
]

# One printf-style conversion: %(name)s, %d, %.1f, %% ...
CONVERSION = re.compile(r"%(?:\([^)]*\))?[#0 +-]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa%]")


def po_path(lang):
    """Where the catalogue of one language lives: under babel's name for it (zh_CN -> zh_Hans_CN)."""
    return TRANSLATIONS / str(Locale.parse(lang)) / "LC_MESSAGES" / "messages.po"


def read_catalog(path):
    """A .po or .pot file as a babel Catalog."""
    with open(path, "rb") as f:
        return read_po(f, abort_invalid=True)


def msgid_text(message):
    """The singular msgid, for messages to a human."""
    return message.id[0] if isinstance(message.id, tuple) else message.id


def translations_of(message):
    """The msgstr of a message as a tuple (one per plural form)."""
    return message.string if isinstance(message.string, tuple) else (message.string,)


def conversions(text):
    """The printf conversions in `text`, sorted, and whatever `%` is left over outside them."""
    found = CONVERSION.findall(text)
    stray = CONVERSION.sub("", text).count("%")
    return sorted(found), stray


@pytest.fixture(scope="module")
def catalogs():
    """Each UI language's catalogue, read from translations/."""
    missing = [str(po_path(lang)) for lang in LANGUAGES if not po_path(lang).exists()]
    assert not missing, f"no catalogue for {', '.join(missing)}: run pybabel init (see Makefile)"
    return {lang: read_catalog(po_path(lang)) for lang in LANGUAGES}


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The messages in the current source, freshly extracted the way the Makefile does it."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    CommandLineInterface().run(["pybabel", "-q", "extract", *EXTRACT_ARGS, "-o", str(pot), str(ROOT)])
    catalog = read_catalog(pot)
    assert len(catalog) > 100, "the extraction found almost nothing: check babel.cfg and EXTRACT_ARGS"
    return catalog


def test_every_ui_language_has_a_catalogue(catalogs):
    """Is there a catalogue for each language in LANGUAGES, with zh_CN the default?"""
    assert Config.BABEL_DEFAULT_LOCALE == "zh_CN"
    assert set(catalogs) == set(Config.LANGUAGES) >= {"zh_CN", "en"}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_flask_babel_finds_the_compiled_catalogue(lang):
    """Does the lookup Flask-Babel makes for the language code load a real catalogue?"""
    translations = Translations.load(str(TRANSLATIONS), [Locale.parse(lang)])
    assert isinstance(translations, Translations), (
        f"no compiled catalogue found for {lang} under {TRANSLATIONS.relative_to(ROOT)}/"
        f"{Locale.parse(lang)}: run `.venv/bin/pybabel compile -d translations -f`")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogue_has_no_untranslated_or_fuzzy_entries(catalogs, lang):
    """Is every entry of the catalogue translated, and none left fuzzy by `pybabel update`?"""
    catalog = catalogs[lang]
    untranslated = [msgid_text(m) for m in catalog if m.id and not all(translations_of(m))]
    fuzzy = [msgid_text(m) for m in catalog if m.id and m.fuzzy]
    assert not untranslated and not fuzzy, (
        f"{lang}: {len(untranslated)} untranslated msgids:\n" + "\n".join(untranslated)
        + f"\n{lang}: {len(fuzzy)} fuzzy entries (check the guess, then remove the flag):\n" + "\n".join(fuzzy))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_msgid_in_the_source_is_in_the_catalogue(catalogs, extracted, lang):
    """Does the catalogue hold every message in the current source (no string added but left out)?"""
    catalog = catalogs[lang]
    missing = [msgid_text(m) for m in extracted if m.id and catalog.get(m.id, m.context) is None]
    assert not missing, (
        f"{lang}: {len(missing)} msgids in the source are not in {po_path(lang).relative_to(ROOT)}; "
        "run `make translations-update` and translate them:\n" + "\n".join(missing)
    )


def test_english_catalogue_repeats_the_english_msgids(catalogs):
    """Does the en catalogue say exactly what the English source says?"""
    different = [msgid_text(m) for m in catalogs["en"] if m.id and translations_of(m)[0] != msgid_text(m)]
    assert not different, "en msgstr differs from msgid for:\n" + "\n".join(different)


def test_chinese_catalogue_is_chinese(catalogs):
    """Is each zh_CN msgstr written in Chinese, not left in English?"""
    cjk = re.compile(r"[\u4e00-\u9fff]")
    latin_only = [msgid_text(m) for m in catalogs["zh_CN"]
                  if m.id and all(translations_of(m)) and not any(cjk.search(s) for s in translations_of(m))
                  and not re.fullmatch(r"[\s%()a-z→:0-9]*", msgid_text(m))  # e.g. "%(old)s → %(new)s"
                  and not re.fullmatch(r"[A-Z]{2,6}|[^\w]+", msgid_text(m))]  # "PDF", a separator like ", "
    assert not latin_only, "zh_CN msgstr without any Chinese:\n" + "\n".join(latin_only)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_placeholders_match_the_msgid(catalogs, lang):
    """Does each msgstr use exactly the %(name)s placeholders of its msgid, with no stray %?"""
    problems = []
    for message in catalogs[lang]:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        # A language with one plural form uses the plural msgid's placeholders (%(n)d) for every n.
        expected, _ = conversions(ids[-1])
        for text in translations_of(message):
            found, stray = conversions(text)
            if found != expected or stray:
                problems.append(f"{ids[0]!r}: expected {expected}, msgstr {text!r} has {found}"
                                + (f" and {stray} stray %" if stray else ""))
    assert not problems, f"{lang}:\n" + "\n".join(problems)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_compiled_catalogue_is_up_to_date(lang):
    """Is the compiled .mo the app reads the same as its .po (run `make` or pybabel compile if not)?"""
    mo = po_path(lang).with_suffix(".mo")
    assert mo.exists(), f"{mo.relative_to(ROOT)} is missing: run `.venv/bin/pybabel compile -d translations -f`"
    expected = io.BytesIO()
    write_mo(expected, read_catalog(po_path(lang)), use_fuzzy=True)
    up_to_date = mo.read_bytes() == expected.getvalue()
    assert up_to_date, (
        f"{mo.relative_to(ROOT)} is older than its .po: run `.venv/bin/pybabel compile -d translations -f`")


def page_text(client, path="/auth/login", **kwargs):
    """The HTML of a page, following redirects."""
    return client.get(path, follow_redirects=True, **kwargs).get_data(as_text=True)


def switch_language(client, code, next_path="/auth/login"):
    """Post the language switch as the navbar's buttons do."""
    return client.post(f"/lang/{code}", data={"next": next_path})


def test_login_page_is_chinese_by_default(client, world):
    """Does a first visit show the login page in Chinese, whatever language the browser asks for?"""
    html = page_text(client, headers={"Accept-Language": "en-US,en;q=0.9"})
    assert 'lang="zh-CN"' in html
    assert "登录" in html and "整改督办" in html
    assert "Log in" not in html


def test_language_switch_changes_the_page_and_back(client, world):
    """Does /lang/en turn the same page English, and /lang/zh_CN turn it Chinese again?"""
    response = switch_language(client, "en")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/auth/login")
    html = page_text(client)
    assert 'lang="en"' in html
    assert "Log in" in html and "Rectification Tracker" in html
    assert "登录" not in html

    switch_language(client, "zh_CN")
    html = page_text(client)
    assert "登录" in html
    assert "Log in" not in html


def test_unknown_language_is_ignored(client, world):
    """Does a language the UI does not have leave the page in Chinese?"""
    assert switch_language(client, "fr").status_code == 302
    assert "登录" in page_text(client)


def test_chinese_messages_reach_the_user(client, auth, world):
    """Are the flashed messages translated too (a wrong password, in Chinese)?"""
    html = auth.login("supervisor", "wrong-password").get_data(as_text=True)
    assert "用户名或密码错误。" in html


def test_language_choice_is_kept_on_the_account(app, client, auth, world):
    """Is a logged-in user's choice saved on the account, so it survives logout and a new browser?"""
    assert auth.login("supervisor").status_code == 302
    switch_language(client, "en", "/")
    with app.app_context():
        assert db.session.get(User, world["users"]["supervisor"]).locale == "en"
    assert "Log out" in page_text(client, "/")

    auth.logout()
    assert auth.login("supervisor").status_code == 302
    assert "Log out" in page_text(client, "/")

    other_browser = app.test_client()
    assert "登录" in page_text(other_browser)  # nobody logged in yet: the default
    other_browser.post("/auth/login", data={"username": "supervisor", "password": DEMO_PASSWORD})
    html = page_text(other_browser, "/")
    assert "Log out" in html and "退出登录" not in html

    switch_language(other_browser, "zh_CN", "/")
    with app.app_context():
        assert db.session.get(User, world["users"]["supervisor"]).locale == "zh_CN"
    assert "退出登录" in page_text(other_browser, "/")
