"""The demo's catalogue (README.md) and machine-readable truth (truth/effects.yaml).

Both are written from the generating parameters and from the effects measured in the data,
so the numbers in the README are the numbers in the files.
"""

from __future__ import annotations

import pandas as pd
import yaml

from .layout import FILES, HEADERS

_FILE_NOTES = {
    "inputs/crm_customers.csv": "CRM extract: one row per customer, behaviour and churn.",
    "inputs/survey_2026Q1.csv": "Survey platform export, baseline wave (relationship and "
    "transactional surveys).",
    "inputs/survey_2026Q3.csv": "Survey platform export, re-measurement wave.",
    "inputs/touchpoint_events.csv": "Journey analytics export, October 2025 to September 2026.",
    "inputs/stakeholders.csv": "People for governance: department, level, CX role.",
    "inputs/initiatives.csv": "The improvement backlog with dates, status, impact, effort, cost.",
    "inputs/survey_contacts.csv": "Every survey invitation sent, by any team (contact log).",
    "inputs/employee_pulse.csv": "Employee pulse survey, two waves.",
    "truth/segments.csv": "The true segment of every customer (not an input; for tests).",
    "truth/comments.csv": "The true theme, polarity, language and PII kind of every comment "
    "(not an input; for tests).",
}
_LANGUAGES = {"de": "German", "es": "Spanish", "fr": "French"}
_TABLE_OF = {path: key.split("_20")[0] for key, path in FILES.items()}


def _py(value):
    """Plain Python types for yaml.safe_dump."""
    if isinstance(value, dict):
        return {str(k): _py(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_py(v) for v in value]
    if hasattr(value, "item"):
        return value.item()
    return value


def effects(facts: dict, planted: dict) -> dict:
    """The planted effects, each with what was put in and what was measured."""
    f, w = facts, facts["wave_change"]
    shares = f["drivers"]["shapley_share"]
    ranked = sorted(shares, key=shares.get, reverse=True)
    stages = w["event_csat_by_stage"]
    measures = w["relationship_survey_by_measure"]
    sup = f["support_channels"]
    return {
        "seed": planted["seed"],
        "generator": "data/demo/generate.py",
        "top_nps_driver": {
            "attribute": "billing_clarity",
            "what": "billing_clarity has the largest Shapley (LMG) share of NPS R^2 in the "
            "relationship survey (both waves, complete cases, 99 read as missing)",
            "planted_nps_coefficients": planted["nps_coefficients"],
            "measured": {
                "ranking": ranked,
                "shapley_share": shares,
                "standardised_beta": f["drivers"]["standardised_beta"],
                "correlation_with_nps": f["drivers"]["correlation"],
                "r2": f["drivers"]["r2"],
                "n": f["drivers"]["n"],
            },
        },
        "billing_comments_among_detractors": {
            "theme": "Billing",
            "what": "billing complaints (overcharged, bill shock, confusing invoice) are far "
            "more common in detractors' comments",
            "measured_share_of_comments_by_nps_group": f["comments"]["billing_share_of_comments"],
        },
        "onboarding_improves_in_2026Q3": {
            "stage": "onboarding",
            "attribute": "onboarding_ease",
            "cause": f"initiative INI-01 live on {planted['onboarding_fix_date']}",
            "what": "onboarding events' CSAT (1-5), onboarding transactional CSAT and the "
            "onboarding_ease rating (1-10) rise in 2026Q3; everything else has the same "
            "generating distribution in both waves",
            "planted": {
                "latent_event_csat_shift": planted["onboarding_latent_csat_shift"],
                "onboarding_ease_shift": planted["onboarding_ease_shift"],
            },
            "measured": {
                "onboarding_event_csat": stages["onboarding"],
                "onboarding_transactional_csat": w["onboarding_transactional_csat"],
                "onboarding_ease": measures["onboarding_ease"],
            },
            "unchanged": {
                "event_stages": [s for s in stages if s != "onboarding"],
                "relationship_measures": [m for m in measures if m != "onboarding_ease"],
                "measured_event_csat_by_stage": stages,
                "measured_relationship_survey": measures,
                "nps_score_by_wave": w["nps_score"],
            },
            "event_wave_rule": "events in January-March 2026 are 2026Q1, July-September "
            "2026 are 2026Q3",
        },
        "support_chat_gap": {
            "stage": "support",
            "worse_channel": "chat",
            "better_channels": ["phone", "store"],
            "planted_latent_csat": {
                k: planted["touchpoint_latent_csat"][k]
                for k in ("support_chat", "support_phone", "support_store", "support_app")
            },
            "measured_event_csat_by_channel": sup,
            "measured_gap_phone_minus_chat": round(
                sup["phone"]["mean_csat"] - sup["chat"]["mean_csat"], 4
            ),
            "measured_gap_store_minus_chat": round(
                sup["store"]["mean_csat"] - sup["chat"]["mean_csat"], 4
            ),
        },
        "worst_touchpoint": {
            "touchpoint_id": f["worst_touchpoint"],
            "what": "highest pain = share of event CSAT 1-2 x reach (share of customers with "
            "an event there) x NPS gap (relationship NPS of non-users minus users, points/100)",
            "planted_nps_penalty": {
                "after_a_bad_chat": planted["chat_nps_penalty_bad_chat"],
                "after_any_chat": planted["chat_nps_penalty_any_chat"],
                "window_days": planted["chat_window_days"],
            },
            "measured_top_touchpoints": f["pain"],
        },
        "churn_by_nps_group": {
            "what": "churn (October-December 2026) by the NPS group of the customer's "
            "baseline answer; detractors churn far more often than promoters",
            "planted_probability": planted["churn_probability"],
            "measured": f["churn"],
        },
        "contact_policy_breach": {
            "team": "Marketing",
            "policy": {
                "max_surveys": 1,
                "per_days": planted["min_gap_days"],
                "quiet_days_after_open_complaint": planted["quiet_days"],
            },
            "what": "Marketing's product research panel sent bursts of 3-5 surveys 5-9 days "
            "apart (late April to early June 2026); every other contact keeps 30 days from the "
            "customer's previous survey and 7 days from an unresolved support contact",
            "measured": f["contacts"],
        },
        "employee_engagement": {
            "what": "share engaged (score 7-10) per pulse wave; about 70% in both",
            "measured": f["employee_engagement"],
        },
        "personas": {
            "truth_file": "truth/segments.csv",
            "segments": planted["segments"],
            "features": [
                "monthly_data_gb",
                "calls_per_month",
                "app_logins_per_month",
                "support_contacts_12m",
                "add_ons",
                "lines",
                "is_business",
            ],
            "measured": f["segments"],
        },
        "response_bias": {
            "what": "Budget prepaid customers answer the relationship survey less often "
            "(response propensity 0.6 of the others'); weights correct region only",
            "measured_share_of_base": f["segments"]["share_of_base"],
            "measured_share_of_relationship_respondents": f["segments"][
                "share_of_relationship_respondents"
            ],
        },
        "uncoded_theme": {
            "name": "Roaming abroad",
            "what": "comments about roaming (travel pass, fees abroad, no connection in "
            "another country) match no codeframe theme, so theme suggestion should find them",
            "example": "The travel pass never kicked in when I landed in Portugal.",
            "truth_file": "truth/comments.csv (theme = roaming)",
            "measured": {
                k: f["comments"][k]
                for k in (
                    "roaming_comments",
                    "roaming_uncoded_share",
                    "uncoded_comments",
                    "uncoded_english_by_true_theme",
                    "codeframe_recall_on_coded_themes",
                )
            },
        },
        "strategy_flaws": {
            "two_accountable": "day_one",
            "missing_operational_measure": "coverage",
        },
        "raci_flaw": {
            "decision": "change_survey",
            "accountable": ["Daniel Osei", "Sophie Laurent"],
        },
        "non_substantive_codes": {
            "column": "staff_helpfulness",
            "code": 99,
            "count": f["dont_know_codes"],
        },
        "comments": {
            "with_comment": f["comments"]["with_comment"],
            "share_with_comment": f["comments"]["share_with_comment"],
            "languages": f["comments"]["languages"],
            "pii_by_kind": f["comments"]["pii"],
        },
    }


def effects_yaml(facts: dict, planted: dict) -> str:
    head = (
        "# truth/effects.yaml: the effects planted in the Northwind Mobile demo, each with the\n"
        "# generating parameters and the size measured in the generated files. Written by\n"
        "# data/demo/generate.py; do not edit by hand.\n"
    )
    body = yaml.safe_dump(
        _py(effects(facts, planted)), sort_keys=False, allow_unicode=True, width=99
    )
    return head + body


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _catalogue(catalogue: dict[str, pd.DataFrame]) -> list[str]:
    lines = ["| file | rows | columns | what |", "|---|---:|---:|---|"]
    for path, frame in catalogue.items():
        lines.append(f"| `{path}` | {len(frame):,} | {frame.shape[1]} | {_FILE_NOTES[path]} |")
    return lines


def _columns(catalogue: dict[str, pd.DataFrame]) -> list[str]:
    lines = []
    for path, frame in catalogue.items():
        if not path.startswith("inputs/"):
            continue
        mapping = {v: k for k, v in HEADERS[_TABLE_OF[path]].items()}
        lines += [f"### `{path}`", "", "| client header | canonical column |", "|---|---|"]
        for header in frame.columns:
            canonical = f"`{mapping[header]}`" if header in mapping else "(kept as is)"
            lines.append(f"| {header} | {canonical} |")
        lines.append("")
    return lines


def readme(facts: dict, planted: dict, catalogue: dict[str, pd.DataFrame]) -> str:
    e = effects(facts, planted)
    f = facts
    drv = e["top_nps_driver"]["measured"]
    top, second = drv["ranking"][:2]
    onb = e["onboarding_improves_in_2026Q3"]["measured"]
    unchanged = e["onboarding_improves_in_2026Q3"]["unchanged"]
    min_p_events = min(v["p_value"] for k, v in unchanged["measured_event_csat_by_stage"].items()
                       if k != "onboarding")  # fmt: skip
    min_p_rel = min(v["p_value"] for k, v in unchanged["measured_relationship_survey"].items()
                    if k != "onboarding_ease")  # fmt: skip
    sup = f["support_channels"]
    churn = f["churn"]["by_nps_group_2026Q1"]
    con = f["contacts"]
    seg = f["segments"]
    com = f["comments"]
    bill = com["billing_share_of_comments"]
    pain = f["pain"][f["worst_touchpoint"]]
    sil = seg["silhouette_log_z_by_k"]
    lines = [
        "# Northwind Mobile: the kit's synthetic demo client",
        "",
        "A complete engagement folder for a fictional UK mobile operator, *Northwind Mobile*, run",
        "by the fictional consultancy *Harbour CX Partners*. `cx demo` runs the whole engagement",
        "on it. Every person, customer, comment, e-mail address and phone number is invented",
        "(e-mail domains are `example.*`, phone numbers are from the ranges reserved for drama,",
        "card numbers are random Luhn-valid test numbers).",
        "",
        "Everything here is written by `generate.py` from one seeded generator",
        f"(`numpy.random.default_rng({planted['seed']})`); do not edit the files by hand.",
        "Regenerate, byte for byte, with:",
        "",
        "```",
        "python data/demo/generate.py            # writes into data/demo/",
        "python data/demo/generate.py --out DIR  # or anywhere else",
        "```",
        "",
        "The model is in `northwind/model.py` (parameters, customers, journey events) and",
        "`northwind/survey.py` (contacts, responses, weights, churn, employee pulse), comments",
        "in `northwind/comments.py` and `northwind/phrases.py`, the",
        "organisation in `northwind/org.py`, the YAML in `northwind/config_text.py`, and the",
        "measurements below in `northwind/measure.py`.",
        "",
        "## Timeline",
        "",
        "- Customers: everyone active on 2025-10-01 plus those who joined up to 2026-09-30.",
        "- Journey events: 2025-10-01 to 2026-09-30 (events in January-March 2026 belong to",
        "  wave 2026Q1, July-September 2026 to 2026Q3).",
        "- Surveys: 2026Q1 (baseline; relationship invitations from 2 February) and 2026Q3",
        "  (from 3 August); transactional surveys the day after an onboarding, support or",
        "  renewal contact inside each wave's window.",
        "- Onboarding redesign (initiative INI-01) live on 2026-05-15.",
        "- Churn: observed from 2026-10-01 to 2026-12-31 (`Churned`, `Churn date`).",
        "",
        "## Files",
        "",
        "| file | what |",
        "|---|---|",
        "| `engagement.yaml` | The engagement: branding, waves, inputs with column mappings, "
        "survey, strategy, journey (7 stages, 23 touchpoints), personas, KPIs, governance. |",
        "| `codeframe.yaml` | Nine comment themes (version 1). |",
        "| `assets/logo.svg` | Northwind's logo. |",
        "| `truth/effects.yaml` | The planted effects, machine-readable (below in words). |",
        "| `generate.py`, `northwind/` | The generator. |",
        "",
        *_catalogue(catalogue),
        "",
        "Conventions in the inputs: dates are ISO (`2026-03-31`, `2026-03-31 14:05`) except the",
        "survey exports, which write `31/03/2026 14:05` (declared with `date_format`). Booleans",
        "are `Yes`/`No` (customers), `TRUE`/`FALSE` (events) and `1`/`0` (pulse). CSAT is 1-5",
        '(5 = very satisfied); CES and event `Ease` are 1-7 agreement with "Northwind made it',
        'easy" (7 = easiest); attribute ratings are 1-10 with `99` = "don\'t know" in',
        "staff helpfulness. Transactional responses have no attribute ratings.",
        "",
        "## Columns: client headers and canonical names",
        "",
        *_columns(catalogue),
        "## True effects planted",
        "",
        "Each effect below is stated with its size as measured in these files (plain pandas and",
        "scipy; see `truth/effects.yaml` for every number and the generating parameters).",
        "",
        f"1. **Billing clarity drives NPS.** In the relationship survey (n = {drv['n']:,}"
        f" complete cases) `{top}` has the largest Shapley share of NPS R² "
        f"({_pct(drv['shapley_share'][top])}; next `{second}` "
        f"{_pct(drv['shapley_share'][second])}; R² = {drv['r2']:.2f}) and the largest "
        f"standardised coefficient ({drv['standardised_beta'][top]:.2f}). Billing comments "
        f"are {_pct(bill['detractor'])} of detractors' comments, {_pct(bill['passive'])} of "
        f"passives' and {_pct(bill['promoter'])} of promoters'.",
        "2. **Onboarding improves in 2026Q3, nothing else changes.** Onboarding events' CSAT "
        f"rises from {onb['onboarding_event_csat']['mean_2026Q1']:.2f} to "
        f"{onb['onboarding_event_csat']['mean_2026Q3']:.2f} "
        f"(+{onb['onboarding_event_csat']['diff']:.2f}, Welch p = "
        f"{onb['onboarding_event_csat']['p_value']:.2g}); onboarding transactional CSAT by "
        f"{onb['onboarding_transactional_csat']['diff']:+.2f} (p = "
        f"{onb['onboarding_transactional_csat']['p_value']:.2g}); `onboarding_ease` (1-10) "
        f"by {onb['onboarding_ease']['diff']:+.2f} (p = {onb['onboarding_ease']['p_value']:.2g})."
        " Every other stage and every other relationship measure has the same generating "
        "distribution in both waves (chance shifts of the shared noise are centred out): "
        f"smallest other p = {min_p_events:.2f} (event stages) and {min_p_rel:.2f} "
        f"(survey measures). NPS: {unchanged['nps_score_by_wave']['2026Q1']:+.1f} in 2026Q1, "
        f"{unchanged['nps_score_by_wave']['2026Q3']:+.1f} in 2026Q3.",
        "3. **Chat is the weak support channel.** Support-stage event CSAT: chat "
        f"{sup['chat']['mean_csat']:.2f}, phone {sup['phone']['mean_csat']:.2f}, store "
        f"{sup['store']['mean_csat']:.2f}, app help {sup['app']['mean_csat']:.2f} (gaps to chat "
        f"{sup['phone']['mean_csat'] - sup['chat']['mean_csat']:.2f} and "
        f"{sup['store']['mean_csat'] - sup['chat']['mean_csat']:.2f}).",
        f"4. **The worst touchpoint is `{f['worst_touchpoint']}`**: "
        f"{_pct(pain['dissatisfied'])} of its rated events are CSAT 1-2, it reaches "
        f"{_pct(pain['reach'])} of customers, and users' NPS is {pain['nps_impact']:.1f} points "
        "below non-users' (a bad chat costs 3 NPS points, any chat 1, for 120 days). Its "
        "pain score (dissatisfied × reach × NPS gap) is the highest of all 23 touchpoints.",
        "5. **Detractors churn.** Churn by the NPS group of 2026Q1 answers: detractors "
        f"{_pct(churn['detractor']['churn_rate'])}, passives "
        f"{_pct(churn['passive']['churn_rate'])}, promoters "
        f"{_pct(churn['promoter']['churn_rate'])} (overall {_pct(f['churn']['overall'])}).",
        "6. **Marketing over-surveys.** The contact policy is one survey per customer per 30 "
        "days and none within 7 days of an unresolved support contact. Marketing's product "
        f"research panel breaks the first rule {con['gap_breaches_by_team']['Marketing']} times "
        f"for {con['customers_with_gap_breach']} customers (bursts of 3-5 surveys 5-9 days "
        "apart); CX Insights and Customer Care never do (shortest gap "
        f"{con['min_gap_days_other_teams']:.1f} days, no quiet-period breach).",
        "7. **Employee engagement** (score 7-10 on the pulse): "
        + ", ".join(f"{_pct(v)} in {k}" for k, v in f["employee_engagement"].items())
        + ".",
        "8. **Four personas.** Segments with distinct behaviour (`truth/segments.csv`): "
        + ", ".join(f"{k} ({v:,})" for k, v in seg["sizes"].items())
        + ". k-means with k = 4 on the z-scored log1p features recovers them (adjusted Rand "
        f"{seg['kmeans_k4_adjusted_rand']:.2f}); the silhouette is highest at k = "
        f"{max(sil, key=sil.get)} ({sil[max(sil, key=sil.get)]:.2f}). NPS by persona: "
        + ", ".join(f"{k} {v:+.1f}" for k, v in seg["nps_score"].items())
        + ".",
        "9. **Response bias.** Budget prepaid customers are "
        f"{_pct(seg['share_of_base']['Budget prepaid'])} of the base but "
        f"{_pct(seg['share_of_relationship_respondents']['Budget prepaid'])} of relationship "
        "respondents; the survey weight corrects region only.",
        "10. **A theme the codeframe misses: roaming abroad.** "
        f"{com['roaming_comments']} comments are about roaming; "
        f"{_pct(com['roaming_uncoded_share'])} of them match no theme, and they are most of "
        f"the {com['uncoded_comments']} uncoded comments. The codeframe finds the intended "
        f"theme in {_pct(com['codeframe_recall_on_coded_themes'])} of the other English "
        "comments.",
        "11. **Strategy and governance flaws for steps 1 and 5.** Goal `day_one` has two "
        "accountable owners; goal `coverage` has no operational measure; RACI decision "
        "`change_survey` has two Accountable (Daniel Osei and Sophie Laurent).",
        f'12. **Survey quirks.** {f["dont_know_codes"]} answers of 99 ("don\'t know") in '
        "staff helpfulness, declared in `survey.non_substantive_codes`; "
        f"{_pct(com['share_with_comment'])} of responses have a comment, "
        + ", ".join(f"{v} in {_LANGUAGES[k]}" for k, v in com["languages"].items() if k != "en")
        + "; PII in comments: "
        + ", ".join(f"{v} {k}" for k, v in com["pii"].items())
        + " (`truth/comments.csv`).",
        "",
    ]
    return "\n".join(lines)
