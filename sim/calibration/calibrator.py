"""Calibrate a scenario from a CRM export (``python -m sim calibrate``).

What is fitted, and how (see ``docs/calibration.md`` for the full story):

- **Arrivals** per source: a Poisson process whose rate is constant within each of
  the 168 hours of the week (:mod:`sim.calibration._arrivals`).
- **Response curves**, with the engine's model: a Bernoulli likelihood over leads,
  maximised jointly over the curve and the base chances ``reach_s`` / ``q_s``, which
  are ``logistic(a_source [+ b_owner])``: stratification by source (default) and
  optionally owner, the adjustment for who-calls-whom-how-fast selection
  (:mod:`sim.calibration._fit`).
- **Funnel**: share attempted, reached, qualified; won among closed qualified
  leads, turned into the decision stage's ``win_rate`` by simulating the
  calibrated scenario at win_rate 0 and 1 (the share is linear in it).
- **Attempts**: share of reached leads reached by attempt k; ``max_attempts`` (the
  usual number of attempts on never-reached leads) and, from activities, the
  follow-up gaps (median gap after attempt k).
- **Durations** (activities): lognormal maximum likelihood for talk, no-answer,
  meeting and nurture time (a fixed duration when every value is the same); screening
  check times stay the base's (``scenario.screening``: instant and deep checks mixed in
  one export cannot be told apart).
- **Deal value** per source: lognormal maximum likelihood on won deals.

Anything the data cannot support falls back to the base experiment's value with a
warning, printed and in the report. Everything not fitted comes from the base
experiment (default ``experiments/baseline.yaml``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from policies import chances_kept
from sim.calibration._arrivals import fit_arrivals
from sim.calibration._channels import channel_replies
from sim.calibration._estimate import Estimate, proportion
from sim.calibration._fit import (
    CurveFit,
    FitFailed,
    LognormalFit,
    TablePoint,
    fit_curve,
    fit_lognormal,
    table_curve,
)
from sim.calibration._scenario import FIRST_CALL_ROLES, build_config, render_yaml
from sim.calibration._uncertain import usable_entries
from sim.calibration._win_rate import fit_win_rate
from sim.calibration._yaml import Comments, read_back
from sim.calibration.crm import (
    CONNECTED,
    NO_ANSWER,
    VOICEMAIL,
    ActivityTable,
    LeadTable,
    read_activities,
    read_leads,
)
from sim.calibration.result import FAMILIES, STRATA, Calibration, CalibrationOptions
from sim.config import ConfigError
from sim.config.scenario import REFERRAL_SOURCE, LeadTraits
from sim.config.units import MINUTES_PER_WEEK
from sim.experiment import Experiment, load_experiment, validate_experiment

# What the data must hold for each part to be fitted (else the base value is kept).
MIN_CURVE_ROWS = 200
MIN_CURVE_EVENTS = 20
MIN_SPREAD_ROWS = 30
MIN_DURATIONS = 30
MIN_DEALS = 20
MIN_QUALIFIED_CLOSED = 30
MIN_GAPS = 20


def calibrate(options: CalibrationOptions) -> Calibration:
    """Read the export(s), fit every part, and build the calibrated experiment (nothing written)."""
    started = time.perf_counter()
    if options.family not in FAMILIES:
        raise ConfigError(f"--family {options.family}: expected one of {', '.join(FAMILIES)}")
    if options.stratify not in STRATA:
        raise ConfigError(f"--stratify {options.stratify}: expected one of {', '.join(STRATA)}")
    base = load_experiment(options.base)
    leads = read_leads(options.leads, options.read)
    activities = (
        read_activities(options.activities, leads, options.read) if options.activities else None
    )
    cal = Calibrator(options, base, leads, activities).run()
    cal.seconds = time.perf_counter() - started
    return cal


class Calibrator:
    """The steps of one calibration, sharing the data read and the warnings so far.

    :meth:`run` fits every part (each step falls back to the base experiment, with a
    warning, where the data are too thin), then builds the calibrated experiment.
    """

    def __init__(
        self,
        options: CalibrationOptions,
        base: Experiment,
        leads: LeadTable,
        activities: ActivityTable | None,
    ) -> None:
        self.options, self.base, self.leads, self.activities = options, base, leads, activities
        self.names: list[str] = []  # the lead sources fitted, in the order written
        self.warnings: list[str] = []
        self.comments: Comments = {}

    def warn(self, text: str) -> None:
        """Note that a part fell back to the base experiment, or anything a user should read."""
        self.warnings.append(text)

    def run(self) -> Calibration:
        """Fit every part, then build, write out and check the calibrated experiment."""
        self.names = self._source_names()
        cal = self._fit()
        self._build_experiment(cal)
        return cal

    # -- the pieces -------------------------------------------------------------

    def _source_names(self) -> list[str]:
        """The lead sources to fit: the base experiment's order first, then the most leads."""
        leads = self.leads
        base_names = [s.name for s in self.base.scenario.sources]
        counts = np.bincount(leads.source, minlength=len(leads.sources))
        names = [n for n in leads.sources if n != REFERRAL_SOURCE]
        if not names:
            raise ConfigError(
                f"{leads.path}: every lead has source {REFERRAL_SOURCE!r}, which is reserved for "
                "referred leads; expected at least one other lead source"
            )
        if REFERRAL_SOURCE in leads.sources:
            n_ref = int(counts[leads.sources.index(REFERRAL_SOURCE)])
            self.warn(
                f"{n_ref:,} leads have source {REFERRAL_SOURCE!r}, the name the simulator reserves for "
                "leads produced by referral requests: they are used for the response curves but not "
                "fitted as a lead source (scenario.referrals is kept from the base experiment)"
            )
        names.sort(
            key=lambda n: (
                base_names.index(n) if n in base_names else len(base_names),
                -counts[leads.sources.index(n)],
            )
        )
        return names

    def _fit(self) -> Calibration:
        leads, names = self.leads, self.names
        arrivals = fit_arrivals(leads, names)
        for fit in arrivals.values():
            if fit.profile is None:
                self.warn(
                    f"source {fit.source}: hour-of-week profile not fitted ({fit.note}); "
                    "the default profile is used"
                )
        contact, contact_table, strata_c, d1 = self._contact()
        qualification, qual_table, strata_q, dr = self._qualification()
        fit_share = self._fit_share()
        reach = self._reach(contact)
        intent = self._intent(qualification, fit_share)
        funnel = self._funnel()
        attempts_reached, max_attempts = self._attempts()
        steps = self._steps(max_attempts)
        durations, vm_share = self._durations()
        deal_values = self._deal_values()
        reps = self._reps()
        win_share = self._win_share()
        cal = Calibration(
            options=self.options,
            leads=leads,
            activities=self.activities,
            base=self.base,
            sources=names,
            arrivals=arrivals,
            contact=contact,
            qualification=qualification,
            contact_table=contact_table,
            qualification_table=qual_table,
            strata={"contact": strata_c, "qualification": strata_q},
            fit_share=fit_share,
            intent=intent,
            reach=reach,
            funnel=funnel,
            win_share=win_share,
            win_rate=None,
            win_rate_detail="",
            attempts_reached=attempts_reached,
            max_attempts=max_attempts,
            steps=steps,
            durations=durations,
            voicemail_share=vm_share,
            deal_values=deal_values,
            reps=reps,
            warnings=self.warnings,
            config={},
            comments=self.comments,
            delays={"first_attempt": d1, "reached": dr},
            channel_replies=channel_replies(self.activities, self.warn),
        )
        return cal

    def _build_experiment(self, cal: Calibration) -> None:
        """The calibrated config, its win rate simulated, as YAML that is read back and validated."""
        cal.config = build_config(cal)
        if cal.win_share is not None:
            fit_win_rate(cal)
        else:
            self.warn(
                f"fewer than {MIN_QUALIFIED_CLOSED} closed qualified leads: decision.win_rate kept "
                "from the base experiment"
            )
        cal.config = build_config(cal)
        cal.config["uncertain"], dropped = usable_entries(cal.config, "the calibrated experiment")
        for note in dropped:
            self.warn(note)
        if not cal.config["uncertain"]:
            del cal.config["uncertain"]
        cal.yaml_text = render_yaml(cal)
        data = read_back(cal.yaml_text, cal.config)
        try:
            cal.experiment = validate_experiment(data, "the calibrated experiment")
        except ConfigError as exc:
            raise ConfigError(f"the calibrated scenario is not valid: {exc}") from None

    def _first_attempt_rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Attempted leads: their index, delay to the first attempt, and whether it reached them."""
        leads = self.leads
        attempted = np.isfinite(leads.first_attempt_at)
        delay = leads.first_attempt_at[attempted] - leads.created_at[attempted]
        first = leads.reached[attempted] & (leads.attempts[attempted] == 1)
        return np.flatnonzero(attempted), delay, first

    def _curve(
        self, what: str, index: np.ndarray, delay: np.ndarray, y: np.ndarray, path: str
    ) -> tuple[CurveFit | None, list[TablePoint], dict[str, CurveFit]]:
        leads, opts = self.leads, self.options
        n, events = int(y.size), int(y.sum())
        thin = []
        if n < MIN_CURVE_ROWS:
            thin.append(f"{n} rows (at least {MIN_CURVE_ROWS} needed)")
        if min(events, n - events) < MIN_CURVE_EVENTS:
            thin.append(
                f"{events} successes and {n - events} failures (at least {MIN_CURVE_EVENTS} of each)"
            )
        if (delay < 60).sum() < MIN_SPREAD_ROWS or (delay >= 60).sum() < MIN_SPREAD_ROWS:
            thin.append(
                f"too little spread in the delays ({int((delay < 60).sum())} under an hour, "
                f"{int((delay >= 60).sum())} over; at least {MIN_SPREAD_ROWS} of each)"
            )
        owner = leads.owner[index] if (leads.owner[index] >= 0).any() else None
        if opts.stratify == "source,owner" and owner is None:
            self.warn(
                f"{what}: --stratify source,owner but the export has no owner column; stratified by source only"
            )
        if thin:
            self.warn(
                f"{what} curve not fitted: {'; '.join(thin)}; the base experiment's curve "
                f"({path}) is kept and only the base chances are estimated"
            )
            return None, [], {}
        strata: dict[str, CurveFit] = {}
        chosen = (
            opts.stratify if not (opts.stratify == "source,owner" and owner is None) else "source"
        )
        variants = ["none", "source"] + (["source,owner"] if owner is not None else [])
        if chosen not in variants:
            variants.append(chosen)
        for variant in variants:
            try:
                strata[variant] = fit_curve(
                    what,
                    delay,
                    y,
                    leads.source[index],
                    leads.sources,
                    owner,
                    leads.owners,
                    opts.family,
                    variant,
                )
            except FitFailed as exc:
                if variant == chosen:
                    self.warn(f"{what} curve not fitted ({exc}); the base curve ({path}) is kept")
                    return None, [], strata
        fit = strata[chosen]
        if fit.at_bound:
            self.warn(
                f"{what} curve: the {', '.join(fit.at_bound)} estimate is at the edge of its range "
                "(no confidence interval); the data barely constrain it"
            )
        return fit, table_curve(fit), strata

    def _contact(self) -> tuple[CurveFit | None, list[TablePoint], dict[str, CurveFit], np.ndarray]:
        """The contact curve from first attempts (reached or not), and their delays."""
        index, delay, first = self._first_attempt_rows()
        fit, table, strata = self._curve(
            "contact", index, delay, first, "scenario.response.contact"
        )
        return fit, table, strata, delay

    def _qualification_rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Reached leads: their index, delay to the reaching call, and whether they qualified."""
        leads = self.leads
        reached_at = np.where(
            np.isnan(leads.reached_at) & leads.reached & (leads.attempts == 1),
            leads.first_attempt_at,
            leads.reached_at,
        )
        usable = leads.reached & np.isfinite(reached_at)
        missing = int((leads.reached & ~usable).sum())
        if missing:
            self.warn(
                f"{missing:,} reached leads have no reached_at (and more than one attempt): "
                "left out of the qualification curve"
            )
        index = np.flatnonzero(usable)
        return index, reached_at[index] - leads.created_at[index], leads.qualified[index]

    def _qualification(
        self,
    ) -> tuple[CurveFit | None, list[TablePoint], dict[str, CurveFit], np.ndarray]:
        """The qualification curve from reached leads (qualified or not), and their delays."""
        index, delay, y = self._qualification_rows()
        fit, table, strata = self._curve(
            "qualification", index, delay, y, "scenario.response.qualification"
        )
        return fit, table, strata, delay

    def _base_source(self, name: str) -> LeadTraits:
        for source in self.base.scenario.sources:
            if source.name == name:
                return source
        return LeadTraits()

    def _fit_share(self) -> dict[str, float]:
        """Share of realistic leads among those called, per source (from the base's screening)."""
        scenario, cadence = self.base.scenario, self.base.policy
        shares = {}
        for name in self.names:
            source = self._base_source(name)
            f, obvious = source.fit_rate, source.obviously_unfit_share
            screening = cadence.screening
            kept = chances_kept(screening.steps(screening.check_for(name), scenario.screening))
            kept_fit = f * kept.realistic
            kept_unfit = (1 - f) * (obvious * kept.obvious + (1 - obvious) * kept.subtle)
            shares[name] = kept_fit / (kept_fit + kept_unfit) if kept_fit > 0 else 0.0
        return shares

    def _reach(self, contact: CurveFit | None) -> dict[str, Estimate]:
        """Each source's reachability: the chance a first attempt at zero delay reaches the lead."""
        if contact is not None:
            return {n: contact.base[n] for n in self.names if n in contact.base}
        curve = self.base.scenario.response.contact.compile()
        return self._base_chances_under(curve, *self._first_attempt_rows())

    def _base_chances_under(
        self, curve: Callable[[float], float], index: np.ndarray, delay: np.ndarray, y: np.ndarray
    ) -> dict[str, Estimate]:
        """Each source's chance at zero delay under a curve kept from the base experiment.

        The observed share of successes *y*, scaled by observed over expected under
        *curve* at each row's *delay* (rows *index* of the leads).
        """
        c = np.fromiter((curve(x) for x in delay), dtype=float, count=delay.size)
        out = {}
        for code, name in enumerate(self.leads.sources):
            rows = self.leads.source[index] == code
            if name in self.names and rows.sum() >= MIN_CURVE_EVENTS:
                est = proportion(float(y[rows].sum()), float(rows.sum()))
                scale = rows.sum() / c[rows].sum()
                out[name] = Estimate(min(1.0, est.value * scale), est.se, "logit", int(rows.sum()))
        return out

    def _intent(
        self, qualification: CurveFit | None, fit_share: dict[str, float]
    ) -> dict[str, Estimate]:
        skill = self._mean_skill()
        if qualification is not None:
            q = {n: qualification.base[n] for n in self.names if n in qualification.base}
        else:
            curve = self.base.scenario.response.qualification.compile()
            q = self._base_chances_under(curve, *self._qualification_rows())
        out = {}
        for name, est in q.items():
            divisor = fit_share[name] * skill
            if divisor <= 0:
                continue
            value = est.value / divisor
            if value > 1:
                self.warn(
                    f"source {name}: the qualified share per conversation ({est.value:.3f}) exceeds "
                    f"what the base file's fit_rate and screening allow (x{fit_share[name]:.3f}); "
                    "intent is capped at 1"
                )
                value = 1.0
            se = None
            if est.se is not None and 0 < value < 1:
                # the same relative error as the base chance (a constant factor)
                se = est.se * est.value * (1 - est.value) / (est.value * (1 - value))
            out[name] = Estimate(value, se, "logit", est.rows)
        return out

    def _mean_skill(self) -> float:
        groups = [g for g in self.base.scenario.reps if g.role in FIRST_CALL_ROLES]
        groups = groups or list(self.base.scenario.reps)
        return sum(g.skill * g.count for g in groups) / sum(g.count for g in groups)

    def _funnel(self) -> dict[str, dict[str, Estimate]]:
        """The funnel's shares, for all leads and per source (for the report)."""
        leads = self.leads
        out: dict[str, dict[str, Estimate]] = {}
        groups = [("all", np.ones(len(leads), dtype=bool))] + [
            (n, leads.source == leads.sources.index(n)) for n in self.names
        ]
        for name, rows in groups:
            n = float(rows.sum())
            attempted = rows & (leads.attempts > 0)
            reached = rows & leads.reached
            first = attempted & leads.reached & (leads.attempts == 1)
            qualified = rows & leads.qualified
            closed_q = qualified & np.isfinite(leads.closed_at)
            won = closed_q & leads.won
            out[name] = {
                "attempted": proportion(attempted.sum(), n),
                "reached": proportion(reached.sum(), attempted.sum()),
                "reached on the first attempt": proportion(first.sum(), attempted.sum()),
                "qualified per lead reached": proportion(qualified.sum(), reached.sum()),
                "won per closed qualified lead": proportion(won.sum(), closed_q.sum()),
            }
        return out

    def _win_share(self) -> Estimate | None:
        leads = self.leads
        closed_q = leads.qualified & np.isfinite(leads.closed_at)
        if closed_q.sum() < MIN_QUALIFIED_CLOSED:
            return None
        return proportion(float((closed_q & leads.won).sum()), float(closed_q.sum()))

    def _attempts(self) -> tuple[np.ndarray, Estimate | None]:
        """Reached leads per reaching attempt, and ``max_attempts``: the mode on never-reached leads."""
        leads = self.leads
        reached = leads.attempts[leads.reached & (leads.attempts > 0)]
        by_attempt = np.bincount(reached, minlength=13)[1:] if reached.size else np.zeros(12)
        never = leads.attempts[~leads.reached & (leads.attempts > 0) & np.isfinite(leads.closed_at)]
        if never.size < MIN_GAPS:
            self.warn(
                f"only {never.size} closed leads were never reached: policy.followup.max_attempts "
                "kept from the base experiment"
            )
            return by_attempt, None
        counts = np.bincount(never)
        mode = int(np.argmax(counts))
        mode = max(1, min(mode, 12))
        share = counts[mode] / never.size
        return by_attempt, Estimate(
            float(mode), None, "linear", int(never.size)
        ) if share > 0 else None

    def _steps(self, max_attempts: Estimate | None) -> list[tuple[float, int]]:
        """Median gap after each unanswered call (and how many gaps), from the activities."""
        acts = self.activities
        if acts is None:
            self.warn("no activities file: policy.followup.steps kept from the base experiment")
            return []
        calls = acts.is_call
        lead, at, outcome = acts.lead[calls], acts.at[calls], acts.call_outcome[calls]
        order = np.lexsort((at, lead))
        lead, at, outcome = lead[order], at[order], outcome[order]
        same = lead[1:] == lead[:-1]
        position = np.zeros(lead.size, dtype=np.int64)
        starts = np.r_[True, ~same]
        group_start = np.maximum.accumulate(np.where(starts, np.arange(lead.size), 0))
        position = np.arange(lead.size) - group_start + 1
        gap = at[1:] - at[:-1]
        valid = same & (outcome[:-1] != CONNECTED)
        limit = int(max_attempts.value) if max_attempts else 12
        steps: list[tuple[float, int]] = []
        for k in range(1, limit):
            rows = valid & (position[:-1] == k)
            if rows.sum() < MIN_GAPS:
                break
            steps.append((float(np.median(gap[rows])), int(rows.sum())))
        if not steps:
            self.warn(
                f"fewer than {MIN_GAPS} follow-up gaps in the activities: policy.followup.steps kept "
                "from the base experiment"
            )
        return steps

    def _durations(self) -> tuple[dict[str, LognormalFit], Estimate | None]:
        """Lognormal fits of each action's duration, and the voicemail share of unanswered dials."""
        acts = self.activities
        out: dict[str, LognormalFit] = {}
        if acts is None:
            self.warn("no activities file: action durations kept from the base experiment")
            return out, None
        if "duration_seconds" not in acts.columns:
            self.warn(
                "the activities have no duration_seconds column: action durations kept from the base experiment"
            )
            return out, None
        dur = acts.duration_minutes
        calls = acts.is_call
        voicemails = calls & (acts.call_outcome == VOICEMAIL)
        separate_vm = voicemails.sum() >= MIN_DURATIONS
        groups = {
            "conversation": calls & (acts.call_outcome == CONNECTED),
            "no_answer": calls & ((acts.call_outcome == NO_ANSWER) | (voicemails & ~separate_vm)),
        }
        if separate_vm:
            groups["voicemail"] = voicemails
        for kind, field_name in (
            ("meeting", "meeting"),
            ("nurture", "nurture_touch"),
        ):
            if kind in acts.kinds:
                groups[field_name] = acts.kind == acts.kinds.index(kind)
        for name, rows in groups.items():
            values = dur[rows]
            values = values[np.isfinite(values)]
            if values.size < MIN_DURATIONS:
                if name in ("conversation", "no_answer"):
                    self.warn(
                        f"only {values.size} {name.replace('_', '-')} durations (at least {MIN_DURATIONS} "
                        f"needed): scenario.actions.{name} kept from the base experiment"
                    )
                continue
            try:
                out[name] = fit_lognormal(values)
            except FitFailed as exc:
                self.warn(
                    f"scenario.actions.{name} not fitted ({exc}); kept from the base experiment"
                )
        vm_share = None
        if separate_vm:
            unanswered = calls & ((acts.call_outcome == NO_ANSWER) | voicemails)
            vm_share = proportion(float(voicemails.sum()), float(unanswered.sum()))
        return out, vm_share

    def _deal_values(self) -> dict[str, LognormalFit]:
        """Each source's deal value (all sources pooled where one has too few won deals)."""
        leads = self.leads
        won = leads.won & np.isfinite(leads.deal_value) & (leads.deal_value > 0)
        out = {}
        pooled = None
        if won.sum() >= MIN_DEALS:
            pooled = fit_lognormal(leads.deal_value[won])
        for name in self.names:
            rows = won & (leads.source == leads.sources.index(name))
            if rows.sum() >= MIN_DEALS:
                out[name] = fit_lognormal(leads.deal_value[rows])
            elif pooled is not None:
                out[name] = pooled
                self.warn(
                    f"source {name}: only {int(rows.sum())} won deals with a value (at least {MIN_DEALS} "
                    "needed): the deal value fitted on all sources together is used"
                )
            else:
                self.warn(
                    f"source {name}: only {int(rows.sum())} won deals with a value: deal_value kept "
                    "from the base experiment"
                )
        return out

    def _reps(self) -> Estimate | None:
        """Team size: the median number of distinct first-attempt owners per week."""
        leads = self.leads
        rows = (leads.owner >= 0) & np.isfinite(leads.first_attempt_at)
        if rows.sum() == 0:
            self.warn("no owner column: the team size is kept from the base experiment")
            return None
        week = np.floor(
            (leads.first_attempt_at[rows] - leads.first_attempt_at[rows].min()) / MINUTES_PER_WEEK
        )
        pairs = np.unique(np.stack([week, leads.owner[rows]]), axis=1)
        per_week = np.bincount(pairs[0].astype(np.int64))
        per_week = per_week[per_week > 0]
        return Estimate(float(np.median(per_week)), None, "linear", int(rows.sum()))
