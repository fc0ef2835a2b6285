"""The template editor: admins edit a template with a live preview on a real account; a broken one is
refused with its line; the saved version is what the next dunning run sends; the default comes back."""

from __future__ import annotations

import datetime as dt

from arcollect.outreach import outbox, template_store
from tests.conftest import csrf_of

DAY = dt.date(2026, 11, 23)


def test_an_admin_edits_previews_saves_and_restores_a_template(served):
    admin = served.browser("admin")
    grid = admin.get("/templates")
    assert grid.status_code == 200 and 'href="/templates/de/firm"' in grid.text and "default" in grid.text
    mine = sorted(served.customers_of(served.collector))[0]
    page = admin.get(f"/templates/en/reminder?customer={mine}")
    assert page.status_code == 200 and "{% extends" in page.text and 'id="preview-subject"' in page.text
    assert f"({mine}-" in page.text  # the reference of the real account is in the rendered subject
    token = csrf_of(page)
    source = template_store.detail(served.ctx, language="en", name="reminder")["source"]
    edited = source.replace("{% block subject %}", "{% block subject %}[Edited] ", 1)
    assert edited != source
    # live preview (htmx): the fragment only, nothing stored
    frag = admin.post("/templates/en/reminder/preview", data={"csrf_token": token, "source": edited, "customer": mine},
                      headers={"HX-Request": "true"})
    assert frag.status_code == 200 and frag.text.lstrip().startswith('<div id="preview"') and "[Edited]" in frag.text
    assert template_store.detail(served.ctx, language="en", name="reminder")["version"] == 0
    broken = edited.replace("{% block closing %}", "{% block closing %}{{ m.customer_name }", 1)
    assert broken != edited
    line = 4
    bad = admin.post("/templates/en/reminder/preview", data={"csrf_token": token, "source": broken, "customer": mine},
                     headers={"HX-Request": "true"})
    assert f"en/reminder.j2:{line}:" in bad.text and 'id="template-problem"' in bad.text
    refused = admin.post("/templates/en/reminder", data={"csrf_token": token, "source": broken, "customer": mine,
                                                         "action": "save"})
    assert refused.status_code == 422 and f"Not saved: en/reminder.j2:{line}:" in refused.text
    assert template_store.detail(served.ctx, language="en", name="reminder")["version"] == 0
    saved = admin.post("/templates/en/reminder", data={"csrf_token": token, "source": edited, "customer": mine,
                                                       "action": "save"})
    assert saved.status_code == 200 and "Saved as version 1" in saved.text
    assert "edited · v1" in admin.get("/templates").text
    # the next dunning run renders English reminders with the edit (and only those)
    outbox.dunning_run(served.ctx, as_of=DAY, send=False)
    rows = outbox.list_outbox(served.ctx)
    reminders = [m for m in rows if m["step"] == "reminder" and m["language"] == "en"]
    others = [m for m in rows if m["step"] != "reminder" or m["language"] != "en"]
    assert reminders and all(m["subject"].startswith("[Edited] ") for m in reminders)
    assert others and not any(m["subject"].startswith("[Edited]") for m in others)
    restored = admin.post("/templates/en/reminder", data={"csrf_token": token, "action": "restore", "customer": mine})
    assert "default template is back in force (version 2)" in restored.text
    assert template_store.detail(served.ctx, language="en", name="reminder")["source"] == source
    again = admin.post("/templates/en/reminder", data={"csrf_token": token, "action": "restore", "customer": mine})
    assert again.status_code == 409


def test_collectors_preview_but_cannot_save_and_only_on_their_accounts(served):
    collector = served.browser(served.collector)
    mine = sorted(served.customers_of(served.collector))[0]
    theirs = sorted(served.customers_of(served.other))[0]
    page = collector.get(f"/templates/fr/firm?customer={mine}")
    assert page.status_code == 200 and "Save as the next version" not in page.text and 'id="preview-subject"' in page.text
    token = csrf_of(page)
    source = template_store.detail(served.ctx, language="fr", name="firm")["source"]
    frag = collector.post("/templates/fr/firm/preview", data={"csrf_token": token, "source": source, "customer": theirs},
                          headers={"HX-Request": "true"})
    assert "not found" in frag.text and 'id="preview-subject"' not in frag.text  # nothing of their account shown
    assert collector.post("/templates/fr/firm", data={"csrf_token": token, "source": source, "action": "save"}).status_code == 403
    assert collector.get("/templates/xx/firm").status_code == 404
