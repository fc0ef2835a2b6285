"""The Reports page's cash forecast (loaded beside the page) and its downloads, in the caller's scope."""

from __future__ import annotations

import subprocess
import tempfile
from decimal import Decimal
from pathlib import Path

from arcollect.money import format_money
from arcollect.risk import service as risk


def test_the_forecast_panel_waits_for_a_model_then_shows_each_currency_with_its_band(served):
    manager = served.browser("mona")
    page = manager.get("/reports")
    assert page.status_code == 200 and 'hx-get="/reports/forecast"' in page.text and "CONTRACT" not in page.text
    none = manager.get("/reports/forecast")
    assert none.status_code == 200 and 'data-testid="forecast-none"' in none.text and "predict train" in none.text

    risk.train(served.ctx)
    shown = manager.get("/reports/forecast").text
    mine = served.browser(served.collector).get("/reports/forecast").text
    today = served.ctx.clock.today()
    team = risk.forecast(served.ctx, as_of=today, scope=_scope(served, "mona"), train_if_missing=False)
    own = risk.forecast(served.ctx, as_of=today, scope=_scope(served, served.collector), train_if_missing=False)
    assert team["currencies"] and own["currencies"]
    for result, html in ((team, shown), (own, mine)):
        for c in result["currencies"]:
            cur = c["currency"]
            block = html.split(f'data-testid="forecast-{cur}"', 1)[1]
            assert '<polygon class="band"' in block.split("</figure>", 1)[0]
            figure = block.split(f'data-testid="forecast-expected-{cur}">', 1)[1].split("<", 1)[0]
            assert figure == format_money(Decimal(c["expected"]), cur)
            weeks = html.split(f'data-testid="forecast-weeks-{cur}"', 1)[1].split("</table>", 1)[0]
            assert weeks.count("<tr>") == 1 + 13  # the header and 13 weeks
    # a collector's forecast is of their own accounts: less open money than the team's
    open_team = {c["currency"]: Decimal(c["open"]) for c in team["currencies"]}
    assert all(Decimal(c["open"]) <= open_team.get(c["currency"], Decimal(0)) for c in own["currencies"])
    assert served.browser("stan").get("/reports/forecast").status_code == 403


def test_the_portfolio_report_downloads_as_pdf_and_xlsx_of_what_the_caller_sees(served):
    manager = served.browser("mona")
    pdf = manager.get("/reports/portfolio.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and "portfolio-team-" in pdf.headers["content-disposition"]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.pdf"
        path.write_bytes(pdf.content)
        text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "Portfolio" in text
    xlsx = served.browser(served.collector).get("/reports/portfolio.xlsx")
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")
    assert f"portfolio-{served.collector}-" in xlsx.headers["content-disposition"]
    assert served.browser("stan").get("/reports/portfolio.pdf").status_code == 403
    assert manager.get("/reports/portfolio.docx").status_code == 422


def _scope(served, login: str):  # noqa: ANN001, ANN202
    """The portfolio the login's principal sees (through its API token, as any caller is resolved)."""
    from arcollect.auth import service as auth

    return auth.authenticate_token(served.ctx, token=served.tokens[login]).scope
