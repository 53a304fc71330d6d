"""An administrator's admin pages in Vietnamese carry no English from the project's catalogue."""

import contextlib
from html.parser import HTMLParser

import polib
import pytest
from django.contrib import admin
from django.urls import NoReverseMatch, reverse

from procedures.models import DossierState
from tests.dossiers import dossier_in
from tests.test_translations import PO_FILE, is_translated

pytestmark = pytest.mark.django_db


class VisibleText(HTMLParser):
    """Text a reader sees or hears: element text and the title/placeholder/aria-label attributes."""

    HIDDEN = {"script", "style", "svg"}

    def __init__(self):
        super().__init__()
        self.parts, self.hidden = [], 0

    def handle_starttag(self, tag, attrs):
        self.hidden += tag in self.HIDDEN
        self.parts += [v for k, v in attrs if k in ("title", "placeholder", "aria-label") and v]

    def handle_endtag(self, tag):
        self.hidden -= tag in self.HIDDEN

    def handle_data(self, data):
        if not self.hidden and data.strip():
            self.parts.append(data.strip())


def visible_text(page: str) -> str:
    parser = VisibleText()
    parser.feed(page)
    return "\n".join(parser.parts)


def english_phrases() -> set[str]:
    """Translated msgids of two words or more that differ from their translation."""
    return {
        entry.msgid
        for entry in polib.pofile(str(PO_FILE))
        if is_translated(entry)
        and not entry.msgid_plural
        and entry.msgstr != entry.msgid
        and len(entry.msgid.split()) >= 2
        and not any(mark in entry.msgid for mark in ("%", "{"))
    }


def admin_pages(user) -> list[str]:
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls.append(reverse(f"{name}_changelist"))
        with contextlib.suppress(NoReverseMatch):
            urls.append(reverse(f"{name}_add"))
        first = model.objects.first()
        if first is not None:
            urls.append(reverse(f"{name}_change", args=[first.pk]))
    return urls


def test_no_project_string_is_left_in_english_on_an_administrators_pages(client, world):
    dossier_in(world, DossierState.DELIVERY)
    client.force_login(world.admin)
    phrases = english_phrases()
    assert len(phrases) > 100
    leaks, statuses = {}, {}
    for url in admin_pages(world.admin):
        response = client.get(url)
        statuses[url] = response.status_code
        if response.status_code == 200:
            text = visible_text(response.content.decode())
            if found := sorted(p for p in phrases if p in text):
                leaks[url] = found
    assert leaks == {}, "\n".join(f"{url}: {found}" for url, found in leaks.items())
    assert set(statuses.values()) <= {200, 403}
    assert sum(code == 200 for code in statuses.values()) >= 25


def test_the_admin_index_names_every_app_in_vietnamese(client, world):
    client.force_login(world.admin)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    text = visible_text(response.content.decode())
    for english in ["Periodic Tasks", "Auth Token", "Tokens", "Skip to main content", "Model name"]:
        assert english not in text
    assert "Tác vụ định kỳ" in text and "Mã xác thực API" in text
