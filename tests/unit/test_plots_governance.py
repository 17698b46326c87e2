"""Governance charts, tested by their content: cells, bar heights, points, lines, colours."""

from datetime import date

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.patches import Rectangle

from cxlib import governance_calendar, governance_contacts, plots, plots_governance
from cxlib.config import Branding, ContactPolicy, Governance, RaciDecision

BRAND = Branding(client_name="Acme", primary_color="#7A1F5C", secondary_color="#F2A900")


@pytest.fixture(autouse=True)
def _theme():
    with mpl.rc_context():
        plots.use_theme(BRAND)
        yield


def titled(ax) -> bool:
    title = ax.get_title(loc="left") or ax.get_title()  # the theme puts titles on the left
    return bool(title and ax.get_xlabel() and ax.get_ylabel())


def note(ax) -> str:
    return " ".join(t.get_text() for t in ax.texts if t.get_text().startswith("n = "))


def decisions():
    return [
        RaciDecision(id="fund", title="Fund", raci={"Ann": "A", "Bo": "R"}),
        RaciDecision(id="survey", title="Change a survey", raci={"Ann": "A", "Cy": "A/R"}),
    ]


def test_raci_matrix_cells_colours_and_flags():
    from cxlib.governance import check_raci

    checks = check_raci(decisions())
    ax = plots_governance.raci_matrix(decisions(), checks=checks)
    cells = {t.get_text() for t in ax.texts if t.get_text() in {"A", "R", "R/A"}}
    assert cells == {"A", "R", "R/A"}
    # codes: Ann A A; Bo R -; Cy - R/A (A is the strongest role)
    assert ax.images[0].get_array().tolist() == [[4, 4], [3, 0], [0, 4]]
    cmap = ax.images[0].get_cmap()
    assert to_hex(cmap(4)).upper() == BRAND.primary_color
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["Fund", "⚠ Change a survey"]
    frames = [p for p in ax.patches if isinstance(p, Rectangle) and not p.get_fill()]
    assert [(p.get_x(), p.get_width()) for p in frames] == [(0.5, 1)]
    assert titled(ax) and note(ax) == "n = 3 people × 2 decisions"


def test_raci_matrix_without_assignments_says_so():
    ax = plots_governance.raci_matrix(Governance().decisions)
    assert "No RACI assignments yet" in [t.get_text() for t in ax.texts]


def audit():
    days = [0, 5, 40, 0, 0, 35]
    contacts = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b", "c", "c"],
            "contacted_at": pd.Timestamp("2026-01-01") + pd.to_timedelta(days, unit="D"),
            "survey": "x",
        }
    )
    return governance_contacts.audit_contacts(contacts, policy=ContactPolicy())


def test_contacts_per_customer_bars_are_the_distribution():
    result = audit()
    ax = plots_governance.contacts_per_customer(result)
    within, over = ax.containers[:2]
    # a: 3 surveys, over the cap; b: 1; c: 2, not over
    assert [b.get_height() for b in within] == [1, 1, 0]
    assert [b.get_height() for b in over] == [0, 0, 1]
    assert [b.get_y() for b in over] == [1, 1, 0]
    assert to_hex(within[0].get_facecolor()).upper() == BRAND.primary_color
    assert to_hex(over[2].get_facecolor()).upper() == "#D55E00"
    assert titled(ax) and "at most 1 in any 30 days" in ax.get_xlabel()
    assert note(ax) == "n = 3 customers contacted"


def test_contact_volume_bars_and_line():
    result = audit()
    ax = plots_governance.contact_volume(result)
    assert [b.get_height() for b in ax.containers[0]] == [4, 2]  # Jan: days 0, 5, 0, 0
    assert ax.lines[0].get_ydata().tolist() == [3, 2]  # a's day-5 survey is dropped
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Jan 2026", "Feb 2026"]
    assert titled(ax) and note(ax) == "n = 6 surveys sent"


@pytest.mark.parametrize(
    "chart", [plots_governance.contacts_per_customer, plots_governance.contact_volume]
)
def test_contact_charts_without_a_log(chart):
    ax = chart(None)
    assert "No survey contact log in this engagement" in [t.get_text() for t in ax.texts]


def roadmap():
    return pd.DataFrame(
        {
            "initiative_id": ["I1", "I2", "I3", "I4"],
            "effort": [1.0, 3.0, 3.0, 5.0],
            "impact": [0.4, 0.3, 0.2, 0.1],
            "cost": [10.0, 40.0, 20.0, 90.0],
            "funded": [True, True, False, False],
            "small_n": [False, True, False, False],
        }
    )


def test_value_effort_places_every_initiative():
    ax = plots_governance.value_effort(roadmap())
    funded, unfunded, small = ax.collections
    assert funded.get_offsets()[:, 1].tolist() == [0.4, 0.3]
    assert unfunded.get_offsets()[:, 1].tolist() == [0.2, 0.1]
    assert small.get_offsets().tolist() == funded.get_offsets()[1:].tolist()
    assert small.get_hatch() == "///"
    # I2 and I3 share effort 3: spread to 2.7 and 3.3; the others stay put
    x = np.r_[funded.get_offsets()[:, 0], unfunded.get_offsets()[:, 0]]
    assert x.tolist() == pytest.approx([1.0, 2.7, 3.3, 5.0])
    assert to_hex(funded.get_facecolor()[0]).upper() == BRAND.primary_color
    assert ax.lines[0].get_xdata()[0] == 3.0 and ax.lines[1].get_ydata()[0] == 0.25  # medians
    assert {t.get_text() for t in ax.texts} >= {"I1", "I2", "I3", "I4", "Quick wins"}
    assert titled(ax) and note(ax).startswith("n = 4 open initiatives")


def test_roadmap_budget_bars_are_cumulative_costs():
    ax = plots_governance.roadmap_budget(roadmap(), budget=60)
    bars = ax.containers[0]
    assert [(b.get_x(), b.get_width()) for b in bars] == [(0.0, 10.0), (10.0, 40.0)]
    assert ax.lines[0].get_xdata()[0] == 60
    assert titled(ax)
    empty = plots_governance.roadmap_budget(roadmap().assign(funded=False), budget=None)
    assert "No budget set in engagement.yaml" in [t.get_text() for t in empty.texts]


def test_cadence_timeline_one_row_per_track():
    cal = governance_calendar.cadence_calendar(Governance(), start=date(2027, 1, 1))
    ax = plots_governance.cadence_timeline(cal)
    counts = [len(c.get_offsets()) for c in ax.collections]
    assert counts == [4, 12, 3, 4]  # steering, working team, waves, reviews
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "Steering group",
        "Working team",
        "Re-measurement",
        "Reviews",
    ]
    assert titled(ax) and note(ax) == "n = 23 events, Jan 2027 to Dec 2027"


def test_charts_draw_on_a_given_axes():
    fig, ax = plt.subplots()
    assert plots_governance.value_effort(roadmap(), ax=ax) is ax
