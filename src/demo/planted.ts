/**
 * The ground truth of a demo dataset (written to truth.json): what was planted, so tests and
 * people can check that each analysis finds it, and the lines the CLI prints about it.
 */
import type { Kind } from '../core/records.ts';
import type { TeamsTruth, TimedSmsTruth } from './teams.ts';

export interface PlantedStepTruth {
  readonly channel: string;
  readonly activity: string;
  /** The planted rate of failed outcomes (failure, abandoned, transferred). */
  readonly failure_rate: number;
  /** The rate in the generated interactions (duplicates not counted). */
  readonly observed_failure_rate: number;
  readonly events: number;
}

export interface AgentTruth {
  readonly agent_id: string;
  readonly name: string;
  readonly team: string;
  readonly kind: 'agent' | 'store';
  /** True skill in [0, 1]: what a fair score should rank by. */
  readonly skill: number;
  readonly escalation: boolean;
  readonly rude: boolean;
  readonly contacts: number;
  /** Contacts that inherited friction: an earlier failure in the journey, a transfer, a repeat contact. */
  readonly escalation_contacts: number;
  readonly csat_responses: number;
  /** Mean CSAT (1–5) of the answers about this employee, before any adjustment. */
  readonly raw_csat: number | null;
}

export interface Planted {
  readonly version: 1;
  readonly options: { readonly customers: number; readonly days: number; readonly seed: number; readonly start: string; readonly end: string };
  /** Data rows per file (interactions include the re-exported duplicates). */
  readonly counts: Readonly<Record<Exclude<Kind, 'messages'>, number>> & { readonly interactions_unique: number; readonly truth_identity: number };
  readonly persons: number;
  /** Interaction rows exported twice: the second copy sits later in the file, byte-identical. */
  readonly duplicate_event_ids: readonly string[];
  readonly identity: {
    /** Pairs of customer_ids whose profiles share one phone number. */
    readonly households: readonly (readonly [string, string])[];
    /** The shared phones, normalised (digits only). */
    readonly household_phones: readonly string[];
    readonly blocked_caller_ids: readonly string[];
    /** Interaction rows whose phone is the blocked caller id. */
    readonly blocked_caller_records: number;
    readonly placeholder_emails: readonly string[];
    readonly profiles_with_placeholder_email: number;
    /** Store visits identified by nothing but a placeholder email. */
    readonly placeholder_only_records: number;
    readonly profiles_without_phone: number;
    readonly profiles_without_account: number;
    /** Persons whose phone is always written with the +1 country code (normalises to 11 digits). */
    readonly persons_with_plus1_phone: number;
    /** Web cookies that carry a customer_id on some event, and ones that never do. */
    readonly anonymous_cookies: { readonly logged_in: number; readonly never: number };
    /** Calls from a phone the person uses nowhere else (a work phone): unlinkable unless an agent saw it. */
    readonly other_phone_records: number;
    /** Records per file marked linkable 0 in truth_identity.csv. */
    readonly unlinkable_records: Readonly<Record<Exclude<Kind, 'messages'>, number>>;
  };
  readonly journeys: {
    readonly total: number;
    readonly resolved: number;
    readonly by_intent: readonly { readonly intent: string; readonly journeys: number; readonly resolved: number }[];
  };
  readonly broken_steps: readonly (PlantedStepTruth & { readonly story: string })[];
  readonly decoy_steps: readonly (PlantedStepTruth & { readonly why: string })[];
  /** Median observed failure rate over all other steps with at least 50 events (IVR menus excluded). */
  readonly normal_failure_rate: number;
  readonly agents: readonly AgentTruth[];
  readonly rude_staff: readonly string[];
  readonly escalation_agents: readonly string[];
  readonly promises: readonly {
    readonly kind: string;
    /** Planted chance that a promise of this kind is not kept. */
    readonly broken_rate: number;
    readonly made: number;
    readonly kept: number;
    readonly broken: number;
    readonly open: number;
  }[];
  /** What lowers relationship NPS, named as the drivers analysis names factors; effect in NPS points (0–10 scale). */
  readonly nps_drivers: readonly { readonly factor: string; readonly effect: number }[];
  /** Things that correlate with detractors only through confounding, or not at all. */
  readonly non_drivers: readonly string[];
  readonly feedback: {
    readonly relationship_nps: {
      readonly responses: number;
      readonly customers: number;
      readonly promoters: number;
      readonly passives: number;
      readonly detractors: number;
      readonly score: number;
    };
    readonly csat: { readonly responses: number; readonly mean: number; readonly percent_satisfied: number };
    readonly ces: { readonly responses: number; readonly mean: number };
  };
  /** Customers whose transaction CSAT answers are all 4–5 while a relationship NPS answer is 0–6. */
  readonly hidden_at_risk: readonly string[];
  /** The ones planted on purpose (unhappy with price and coverage, polite about contacts); a subset of the above. */
  readonly hidden_at_risk_planted: readonly string[];
  readonly churned: readonly { readonly customer_id: string; readonly at: string }[];
  /** Marketing offers for a product the customer held at the time. */
  readonly offers_for_held_products: number;
  readonly outbound: {
    readonly offers: number;
    readonly reminders: number;
    readonly survey_invites: number;
    readonly offers_to_denied_consent: number;
    readonly offers_in_quiet_hours: number;
  };
  /** The staff directory's teams and the employee pulse survey (docs/teams.md). */
  readonly teams: TeamsTruth;
  /** The plan-review SMS, part of which went out at a bad local hour. */
  readonly outbound_timing: TimedSmsTruth;
}

const pct = (x: number): string => `${Math.round(x * 100)}%`;
const num = (x: number): string => x.toLocaleString('en-US');

/** Human-readable lines on what the demo planted, for the CLI to print. */
export function describePlanted(planted: Planted): string[] {
  const o = planted.options;
  const c = planted.counts;
  const lines: string[] = [];
  lines.push(
    `${num(o.customers)} customers over ${o.days} days (${o.start.slice(0, 10)} to ${o.end.slice(0, 10)}, seed ${o.seed}): ` +
      `${num(c.interactions)} interactions, ${num(c.feedback)} survey answers, ${num(c.promises)} promises, ` +
      `${num(c.holdings)} holdings, ${num(c.consents)} consents.`,
  );
  lines.push(
    `Broken steps: ${planted.broken_steps
      .map((s) => `${s.channel} ${s.activity} fails ${pct(s.observed_failure_rate)} (${s.story})`)
      .join('; ')}. Normal steps fail about ${pct(planted.normal_failure_rate)}.`,
  );
  lines.push(
    `Decoys, not broken: ${planted.decoy_steps.map((s) => `${s.channel} ${s.activity} ${pct(s.observed_failure_rate)} (${s.why})`).join('; ')}.`,
  );
  const seniors = planted.agents.filter((a) => a.escalation);
  lines.push(
    `Fair agent scoring: ${planted.escalation_agents.join(', ')} are the most skilled agents ` +
      `(skill ${Math.min(...seniors.map((a) => a.skill)).toFixed(2)}+) and take the escalations, so their raw CSAT understates them.`,
  );
  lines.push(`Rude store staff: ${planted.rude_staff.join(' and ')}; their visits bring low CSAT and detractors.`);
  const credit = planted.promises.find((p) => p.kind === 'credit');
  const others = planted.promises.filter((p) => p.kind !== 'credit');
  const open = planted.promises.reduce((n, p) => n + p.open, 0);
  if (credit !== undefined) {
    const due = (p: { made: number; open: number }): number => Math.max(1, p.made - p.open);
    const otherBroken = others.reduce((n, p) => n + p.broken, 0) / Math.max(1, others.reduce((n, p) => n + due(p), 0));
    lines.push(
      `Promises: credits are planted to break ${pct(credit.broken_rate)} of the time (here ${pct(credit.broken / due(credit))} of ${num(due(credit))} due), ` +
        `other kinds ${pct(otherBroken)}; ${num(open)} promises are still open. Broken credits bring repeat calls, detractors and churn.`,
    );
  }
  lines.push(
    `NPS drivers: failures at the broken steps, broken promises (credits most), visits to ${planted.rude_staff.join(' and ')}. ` +
      'Not drivers: which call agent answered (their callers are unhappier only because they inherit failures), the decoy steps.',
  );
  const nps = planted.feedback.relationship_nps;
  lines.push(
    `Relationship NPS ${nps.score} from ${num(nps.responses)} answers by ${num(nps.customers)} customers; ` +
      `${num(planted.feedback.csat.responses)} transaction CSAT and ${num(planted.feedback.ces.responses)} CES answers.`,
  );
  lines.push(
    `Hidden at risk: ${num(planted.hidden_at_risk.length)} customers rate every contact 4–5 but are relationship detractors` +
      (planted.hidden_at_risk.length > 0 ? ` (e.g. ${planted.hidden_at_risk.slice(0, 3).join(', ')}).` : '.'),
  );
  lines.push(`Churn: ${num(planted.churned.length)} customers cancel late in the period, more often after broken promises, failures and bad visits.`);
  const id = planted.identity;
  lines.push(
    `Identity: ${num(id.households.length)} households share a phone; blocked caller id on ${num(id.blocked_caller_records)} calls; ` +
      `${num(id.anonymous_cookies.logged_in)} web cookies log in, ${num(id.anonymous_cookies.never)} never do; ` +
      `${num(Object.values(id.unlinkable_records).reduce((a, b) => a + b, 0))} records cannot be linked to anyone.`,
  );
  lines.push(`Duplicates: ${num(planted.duplicate_event_ids.length)} interaction rows are exported twice.`);
  const out = planted.outbound;
  lines.push(
    `Outbound: ${num(out.offers)} offers, ${num(planted.offers_for_held_products)} of them for products the customer already has, ` +
      `${num(out.offers_to_denied_consent)} on channels without consent, ${num(out.offers_in_quiet_hours)} in quiet hours.`,
  );
  const tm = planted.teams;
  lines.push(
    `Teams: a staff directory (staff.csv) names every employee's team; in the employee pulse survey the ${tm.disengaged_team} team is disengaged ` +
      `and its customers feel it (its rude visits bring the lowest adjusted CSAT and customer NPS); teams with fewer than 5 answers would stay hidden (${tm.below_floor.join(', ') || 'none here'}).`,
  );
  const sms = planted.outbound_timing;
  lines.push(
    `Outbound timing: the ${sms.activity} SMS went to ${num(sms.sent_bad_hour)} customers at ${sms.bad_hours[0]}:00–${sms.bad_hours[1]}:00 their local time ` +
      `(just before the guard's default quiet hours) and to ${num(sms.sent_daytime)} in the daytime: CSAT ${sms.csat_bad_hour.mean.toFixed(1)} against ` +
      `${sms.csat_daytime.mean.toFixed(1)}, ${num(sms.opt_outs_bad_hour)} against ${num(sms.opt_outs_daytime)} SMS opt-outs.`,
  );
  return lines;
}
