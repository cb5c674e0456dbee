"""The seller dashboard in a real browser (Debian's Chromium through Playwright), on a history
with known figures."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from app.models import utcnow
from app.services import stats
from tests import history
from tests.test_alerts import spike_history
from tests.test_console_browser import browser, live, log_in  # noqa: F401 (fixtures)


def test_the_dashboard_shows_the_figures_charts_and_warnings(browser, live):  # noqa: F811
    engine = live.app.state.engine
    now = utcnow()
    with Session(engine) as s:
        fast = history.message(s, received=now - timedelta(days=3, hours=5), intent="return")
        history.reply(s, fast, sent=now - timedelta(days=3, hours=3))  # 2 h
        history.vote(s, fast, True, now - timedelta(days=2))
        slow = history.message(s, received=now - timedelta(days=2, hours=40), intent="quality")
        history.reply(s, slow, sent=now - timedelta(days=2, hours=10))  # 30 h: past the 24-hour SLA
        history.vote(s, slow, False, now - timedelta(days=1))
        s.commit()
    spike_history(engine)  # a doubling of quality complaints on B0SPIKE001, all unanswered
    page = log_in(browser, live, "ana")
    page.click("nav a[href='/console/dashboard']")
    page.wait_for_url("**/console/dashboard")
    # the same figures as /v1/stats for the period: the spike's messages are unanswered past their SLA
    start = (utcnow() - timedelta(days=30)).replace(hour=0, minute=0, second=0, microsecond=0)
    with Session(engine) as s:
        totals = stats.report(session=s, settings=live.app.state.settings, start=start, end=utcnow(), group_by=None)["totals"]
    assert totals["replied"] == 2 and totals["replied_within_sla"] == 1
    assert page.inner_text("#card-sla .figure") == f"{totals['sla_share']:.0%}"
    assert f"1 of {2 + totals['unanswered_past_sla']}" in page.inner_text("#card-sla")
    assert page.inner_text("#card-time .figure") == "16.0 h"  # median of 2 h and 30 h
    assert page.inner_text("#card-dissatisfaction .figure") == "50%"
    assert "quality on B0SPIKE001" in page.inner_text("#alerts")
    assert "en/quality.j2" not in page.inner_text("#alerts")  # one vote is not enough to flag a template
    assert page.locator("#chart-volume rect").count() >= 5
    assert page.locator("#chart-sla circle").count() >= 2 and page.locator("#chart-sla line.target").count() == 1
    assert page.locator("#chart-templates").count() == 0  # one answer each: not the five it takes to show one
    live.app.state.settings = live.app.state.settings.model_copy(update={"template_flag_min_votes": 1})
    page.reload()
    assert page.locator("#chart-templates rect").count() == 2
    assert page.locator("#chart-templates rect.over").count() == 1  # en/quality.j2: 1 of 1 said no
    page.click("a[href='/console/dashboard?days=7']")
    page.wait_for_url("**/console/dashboard?days=7")
    assert "last 7 days" in page.inner_text("h1")
