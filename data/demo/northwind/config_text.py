"""The demo's engagement.yaml, codeframe.yaml and logo, as text.

Used only by ``generate.py``. The YAML is written by hand (not dumped) so that it keeps the
comments a consultant reads; the ``columns:`` mappings are rendered from the same header
tables the CSV files are written with, so the two cannot drift apart.
"""

from __future__ import annotations

import json

# Codeframe: theme name, description, keywords (whole words, * = any word ending), patterns.
CODEFRAME = (
    (
        "Billing",
        "Bills, charges, refunds, payments and bill shock.",
        ["bill", "bills", "billing", "bill shock", "invoice*", "overcharg*", "charge",
         "charged", "charges", "direct debit", "refund*", "payment*"],
        [],
    ),
    (
        "Network coverage",
        "Signal, coverage, dropped calls and mobile data speed.",
        ["signal", "coverage", "reception", "network*", "dropped call*", "mobile data", "4G",
         "5G", "mast*"],
        [r"cut(?:s|ting)? out", r"wi-?fi calling"],
    ),
    (
        "Customer service",
        "Contact centre, live chat and support staff: waiting, ownership, helpfulness.",
        ["customer service", "customer care", "agent*", "advisor*", "adviser*", "on hold",
         "chat", "chatbot", "live chat", "support", "call back", "helpline", "phone team"],
        [],
    ),
    (
        "App and online account",
        "The Northwind app, the website and the online account.",
        ["app", "apps", "online account", "my account", "website", "log in", "login",
         "logs me out", "self-service", "crash*"],
        [],
    ),
    (
        "Price and value",
        "Price level, price rises, deals and value for money.",
        ["price*", "pricing", "expensive", "overpriced", "value for money", "good value",
         "cheap*", "affordable", "deal", "deals", "cost", "costs", "competitor*",
         "worth every penny"],
        [],
    ),
    (
        "Onboarding and setup",
        "Joining: SIM activation, number transfer, set-up and the welcome contact.",
        ["activation", "activat*", "set up", "setup", "set-up", "setting up", "getting started",
         "sim", "sim card", "porting", "number transfer", "welcome"],
        [r"port(?:ed|ing)? my number"],
    ),
    (
        "Contract and renewal",
        "Contract terms, renewals, upgrades, cancelling and retention offers.",
        ["contract*", "renew*", "upgrad*", "cancel*", "notice period", "early termination",
         "roll over", "retention team", "loyalty"],
        [],
    ),
    (
        "Store experience",
        "Shops: queues, staff knowledge, opening hours, sales pressure.",
        ["store", "stores", "shop", "shops", "in-store", "queue*", "branch"],
        [],
    ),
    (
        "Plans and add-ons",
        "Plan choice and flexibility, allowances, bundles and extra lines.",
        ["plan", "plans", "tariff*", "allowance*", "add-on*", "bundle*", "unlimited",
         "extra line*", "family plan*"],
        [],
    ),
)  # fmt: skip


def _q(text: str) -> str:
    """A double-quoted YAML scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def _list(items) -> str:
    return "[" + ", ".join(_q(i) for i in items) + "]"


def codeframe_yaml() -> str:
    lines = [
        "# codeframe.yaml: the themes comments are tagged with (Northwind Mobile demo).",
        "#",
        "# keywords match whole words, case-insensitively; a * stands for any word ending",
        "# (overcharg* matches overcharged, overcharging). patterns are Python regular",
        "# expressions for anything keywords cannot say. A comment can carry several themes.",
        "# Raise the version whenever a theme changes, so waves are compared on the same",
        "# codeframe. Step 4 lists what the codeframe misses as suggested new themes.",
        "",
        'version: "1"',
        "themes:",
    ]
    for name, description, keywords, patterns in CODEFRAME:
        lines += [f"  - name: {_q(name)}", f"    description: {_q(description)}"]
        lines.append(f"    keywords: {_list(keywords)}")
        if patterns:
            lines.append("    patterns: " + "[" + ", ".join(_q(p) for p in patterns) + "]")
    return "\n".join(lines) + "\n"


def _columns(mapping: dict[str, str], indent: int) -> str:
    pad = " " * indent
    return "\n".join(f"{pad}{_q(client)}: {canonical}" for canonical, client in mapping.items())


def engagement_yaml(headers: dict[str, dict[str, str]], files: dict[str, str]) -> str:
    """The whole engagement.yaml; ``headers`` maps table -> canonical -> client header."""
    h = headers
    return f"""\
# engagement.yaml: Northwind Mobile (the kit's synthetic demo client)
#
# One file describes the whole engagement: who the client is, how reports look, which
# exports feed which canonical table, how the survey is read, the strategy inputs for
# step 1, the journey for step 3, persona settings, KPI targets and governance.
# Check it any time with:  cx validate data/demo
# Paths are relative to this folder. Quote wave labels ("2026Q1") so they stay text.

client:
  name: Northwind Mobile
  consultant: Harbour CX Partners
  industry: Telecommunications (mobile and home bundles)

branding:                       # colours as #RRGGBB; the logo is shown on every page
  primary_color: "#0B3C5D"
  secondary_color: "#F26B38"
  text_color: "#1A1A1A"
  logo: assets/logo.svg
  font_family: "Helvetica, Arial, sans-serif"

waves:                          # oldest first; the baseline is locked by step 6
  labels: ["2026Q1", "2026Q3"]
  baseline: "2026Q1"

# --------------------------------------------------------------------------- inputs
# Each source maps the client's own headers (left) onto the kit's canonical names (right).
# Columns not listed are kept as they are. Dates are ISO (2026-03-31) unless the source
# gives a date_format.
inputs:
  customers:                    # CRM extract, one row per customer
    file: {files["customers"]}
    columns:
{_columns(h["customers"], 6)}

  responses:                    # survey platform exports, one file per wave
    - file: {files["responses_2026Q1"]}
      wave: "2026Q1"
      date_format: "%d/%m/%Y %H:%M"   # the platform writes day/month/year
      columns:
{_columns(h["responses"], 8)}
    - file: {files["responses_2026Q3"]}
      wave: "2026Q3"
      date_format: "%d/%m/%Y %H:%M"
      columns:
{_columns(h["responses"], 8)}

  touchpoint_events:            # journey analytics export, January to September 2026
    file: {files["touchpoint_events"]}
    columns:
{_columns(h["touchpoint_events"], 6)}

  stakeholders:
    file: {files["stakeholders"]}
    columns:
{_columns(h["stakeholders"], 6)}

  initiatives:                  # the improvement backlog
    file: {files["initiatives"]}
    columns:
{_columns(h["initiatives"], 6)}

  contacts:                     # every survey invitation sent, by any team
    file: {files["contacts"]}
    columns:
{_columns(h["contacts"], 6)}

  employee_pulse:
    file: {files["employee_pulse"]}
    columns:
{_columns(h["employee_pulse"], 6)}

# --------------------------------------------------------------------------- survey
survey:
  attributes:                   # the rating battery of the relationship survey
    - network_coverage
    - billing_clarity
    - value_for_money
    - app_ease
    - staff_helpfulness
    - onboarding_ease
    - issue_resolution
    - plan_flexibility
  attribute_scale: [1, 10]
  non_substantive_codes:        # codes that mean "no answer"; read as missing
    staff_helpfulness: [99]     # 99 = "don't know / never dealt with staff"
  min_base: 30                  # estimates on fewer answers are flagged in the report
  confidence: 0.95

# --------------------------------------------------------------------------- step 1
strategy:
  vision: >-
    Every Northwind customer understands what they pay, stays connected where they live
    and work, and gets help solved the first time they ask.
  mission:                      # composed into the CX mission statement
    purpose: keep households and small businesses connected
    customers: >-
      families, young digital customers, small businesses and prepaid customers across
      the UK
    promise: >-
      clear bills, coverage that works at home and at work, and issues resolved in the
      first contact in the channel they choose
  success:                      # composed into the CX success statement
    customer_action: renew with Northwind and recommend us to others
    measure: the share of customers who stay with Northwind over twelve months
    target: 88% retention and an NPS of +20
    by: the end of 2027
  business_objectives:
    - id: retain
      title: Reduce churn to protect recurring revenue
    - id: cost_to_serve
      title: Lower the cost to serve
    - id: digital_growth
      title: Grow digital sales and self-service
  goals:                        # each goal: one leader, ONE accountable owner, two measures
    - id: clear_bills
      title: Make every bill easy to understand
      leader: Priya Raman
      accountable: Fiona McLeod
      customer_measure: billing_clarity rating (relationship survey)
      operational_measure: billing disputes per 1,000 accounts
      objectives: [retain, cost_to_serve]
    - id: first_contact
      title: Resolve support contacts first time in every channel
      leader: Marcus Webb
      accountable: Chloe Bennett
      customer_measure: CSAT at support touchpoints
      operational_measure: first-contact resolution (fcr)
      objectives: [retain, cost_to_serve]
    - id: day_one
      title: Get every new customer set up on day one
      leader: Hannah Kowalski
      accountable: [Zara Ahmed, Ravi Patel]        # two owners: step 1 flags this
      customer_measure: onboarding_ease rating and onboarding CSAT
      operational_measure: onboarding completion rate
      objectives: [retain, digital_growth]
    - id: coverage
      title: Fix coverage where customers live and work
      leader: Tom Fitzgerald
      accountable: Lukas Becker
      customer_measure: network_coverage rating
      operational_measure: ""                      # missing: step 1 flags this
      objectives: [retain]
    - id: app_first
      title: Make the app the easiest way to get things done
      leader: Hannah Kowalski
      accountable: Isabel Cruz
      customer_measure: app_ease rating
      operational_measure: share of service requests completed in the app
      objectives: [digital_growth, cost_to_serve]
  cx_goal:                      # the CX goal as a customer action measured in the data
    statement: Customers choose to stay with Northwind.
    action: renew (stay with Northwind)
    measure: {{table: customers, column: churned, op: "==", value: false}}
    target: 0.88
    by: the end of 2027

# --------------------------------------------------------------------------- step 3
journey:
  stages: [research, comparison, purchase, onboarding, use, support, renewal]
  touchpoints:                  # id as in the data, stage, channel, owning department
{{touchpoints}}

# --------------------------------------------------------------------------- step 2
personas:
  method: clusters              # k-means on the scaled features; or "rules"
  features:
    - monthly_data_gb
    - calls_per_month
    - app_logins_per_month
    - support_contacts_12m
    - add_ons
    - lines
    - is_business
  k_range: [2, 7]               # cluster counts tried; k is chosen by silhouette and stability
  seed: 2026
  cards:                        # from the consultant's interviews; match: names the features
    - name: Young digital natives   # a persona stands out on, so cards follow the clusters
      description: Heavy data users who do everything in the app and rarely call.
      match: {{monthly_data_gb: high, app_logins_per_month: high}}
      motivations: [unlimited data at a fair price, doing everything from the phone]
      challenges: [slow chat support, roaming surprises]
      needs: [instant self-service, transparent data allowances]
    - name: Families on bundles
      description: Several lines and add-ons on one account, often managed by one parent.
      match: {{lines: high, add_ons: high}}
      motivations: [one bill for the household, value from bundles]
      challenges: [complex bills with many lines, changing the plan for one member]
      needs: [a bill that explains each line, easy plan changes]
    - name: Small business
      description: Sole traders and small firms with many calls and several lines.
      match: {{is_business: high, calls_per_month: high}}
      motivations: [reliable coverage for work, fast resolution]
      challenges: [dropped calls with clients, slow issue resolution]
      needs: [a dedicated support route, coverage guarantees]
    - name: Budget prepaid
      description: Light users on pay-as-you-go who buy and top up in store.
      match: {{monthly_data_gb: low, app_logins_per_month: low}}
      motivations: [low, predictable cost]
      challenges: [price rises, pressure to upgrade]
      needs: [simple prices, help in store]

# --------------------------------------------------------------------------- steps 6-7
kpis:
  targets:
    - {{kpi: nps, target: 20, target_date: 2027-12-31, owner: Daniel Osei}}
    # csat is the share of 4-5 answers; ces the mean on 1-7 (7 = easiest)
    - {{kpi: csat, target: 0.8, target_date: 2027-12-31, owner: Daniel Osei}}
    - {{kpi: ces, target: 5.5, target_date: 2027-12-31, owner: Marcus Webb}}
    - {{kpi: retention, target: 0.88, target_date: 2027-12-31, owner: James Okafor}}
    - {{kpi: employee_engagement, target: 0.75, target_date: 2027-12-31, owner: Aisha Rahman}}
    - {{kpi: fcr, target: 0.85, target_date: 2027-06-30, owner: Chloe Bennett}}
  operational:                  # computed from touchpoint_events
    - name: fcr
      kind: first_contact_resolution
      label: First-contact resolution (support)
      stages: [support]
      repeat_days: 7
    - name: onboarding_completion
      kind: completion
      label: Onboarding tasks completed
      stages: [onboarding]
    - name: chat_handling_time
      kind: duration
      label: Live chat handling time (seconds)
      touchpoints: [support_chat]
  p_adjust: holm                # multiplicity control across the scorecard and segment tests
  # stage_ratings: events       # stage CSAT/CES from the touchpoint ratings (the default)
  # revenue_at_risk: churn_rate # detractors' revenue x their churn rate; or excess_churn
  # laney_min_n: 1000           # Laney's p' control limits from this median wave base

# --------------------------------------------------------------------------- step 5
governance:
  sponsor: Eleanor Hart
  steering:
    name: Executive CX steering group
    remit: Sets CX priorities, funds initiatives and reviews each measurement wave.
    cadence: quarterly
    members: [Eleanor Hart, Daniel Osei, Priya Raman, Tom Fitzgerald, Hannah Kowalski,
              Marcus Webb, Sophie Laurent, James Okafor, Aisha Rahman, Gareth Lloyd]
  working_team:
    name: Cross-functional CX working team
    remit: Acts on feedback, runs the initiatives and fixes issues across departments.
    cadence: monthly
    members: [Oliver Grant, Fiona McLeod, Ravi Patel, Chloe Bennett, Lukas Becker,
              Emma Wilson, Nathan Brooks, Zara Ahmed, Isabel Cruz, Grace Thompson,
              Samuel Reid]
  decisions:                    # R, A, C or I per person; exactly one A per decision
    - id: approve_strategy
      title: Approve the CX strategy
      raci: {{Eleanor Hart: A, Daniel Osei: R, Priya Raman: C, Oliver Grant: I}}
    - id: fund_initiatives
      title: Fund CX initiatives
      raci: {{Priya Raman: A, Daniel Osei: R, Eleanor Hart: I, Oliver Grant: C}}
    - id: change_survey         # two A (Daniel Osei and Sophie Laurent): step 5 flags this
      title: Change a survey or send a new one
      raci: {{Daniel Osei: A, Sophie Laurent: A, Emma Wilson: R, Oliver Grant: C}}
    - id: add_touchpoint
      title: Add a touchpoint
      raci: {{Daniel Osei: A, Oliver Grant: R, Ravi Patel: C, Gareth Lloyd: C}}
    - id: act_on_detractors
      title: Act on detractor feedback
      raci: {{Marcus Webb: A, Chloe Bennett: R, Oliver Grant: C, Daniel Osei: I}}
    - id: publish_kpis
      title: Publish CX KPIs
      raci: {{Daniel Osei: A, Oliver Grant: R, Emma Wilson: C, Eleanor Hart: I}}
  max_assignments: 5            # the CCO leads the programme: R or A on five decisions
  contact_policy:
    max_surveys: 1              # at most one survey per customer ...
    per_days: 30                # ... in any 30 days, whichever team sends it
    quiet_days_after_complaint: 7   # and none in the 7 days after an open complaint:
    complaint_stages: [support]     # a support contact ...
    complaints_open_only: true      # ... that was not resolved (completed = false)
    breakdown: [survey, Sending team]   # columns of the log the breaches are counted by
  budget: 750000                # GBP available for initiatives this year
  funding_decision: fund_initiatives
  evidence_links:               # touchpoint -> the drivers and comment themes it moves
    use_bill: [billing_clarity, Billing]
    support_chat: [issue_resolution, staff_helpfulness, Customer service]
    support_phone: [issue_resolution, staff_helpfulness, Customer service]
    support_store: [issue_resolution, Store experience]
    support_app: [app_ease, App and online account]
    onboard_sim: [onboarding_ease, Onboarding and setup]
    onboard_port: [onboarding_ease, Onboarding and setup]
    onboard_welcome_call: [onboarding_ease, Onboarding and setup]
    onboard_app_setup: [onboarding_ease, app_ease, Onboarding and setup]
    research_coverage: [network_coverage, Network coverage]
    use_app: [app_ease, plan_flexibility, App and online account]
    purchase_web: [App and online account]
    purchase_store: [Store experience]
    renew_phone: [value_for_money, Contract and renewal]
    renew_web: [value_for_money, Contract and renewal]
    compare_web: [value_for_money, Price and value]
    compare_chat: [Customer service]
  horizon_months: 12
  remeasure_every_months: 6
"""


def touchpoints_yaml(touchpoints) -> str:
    rows = []
    for t in touchpoints.itertuples():
        rows.append(
            f"    - {{id: {t.id}, name: {_q(t.name)}, stage: {t.stage}, channel: {t.channel}, "
            f"owner: {t.owner}}}"
        )
    return "\n".join(rows)


LOGO_SVG = """\
<svg xmlns="http://www.w3.org/2000/svg" width="240" height="64" viewBox="0 0 240 64"
     role="img" aria-label="Northwind Mobile">
  <title>Northwind Mobile</title>
  <circle cx="32" cy="32" r="28" fill="#0B3C5D"/>
  <path d="M32 8 L40 32 L32 28 L24 32 Z" fill="#F26B38"/>
  <path d="M32 56 L24 32 L32 36 L40 32 Z" fill="#FFFFFF"/>
  <path d="M14 24 q6 -4 12 0 t12 0" fill="none" stroke="#FFFFFF" stroke-width="2"
        stroke-linecap="round"/>
  <text x="70" y="30" font-family="Helvetica, Arial, sans-serif" font-size="20"
        font-weight="700" fill="#0B3C5D">Northwind</text>
  <text x="70" y="50" font-family="Helvetica, Arial, sans-serif" font-size="14"
        letter-spacing="3" fill="#F26B38">MOBILE</text>
</svg>
"""
