/**
 * What the demo plants for teams, employee feedback and outbound timing (docs/teams.md): a staff
 * directory, an employee pulse survey in which one team is disengaged, and an SMS campaign part
 * of which goes out in the customer's evening and lowers satisfaction. Each draws from its own
 * random streams, so the rest of the world (and every other planted truth) is unchanged.
 */
import { callerId } from './person.ts';
import { csvRow } from './sink.ts';
import { Rng } from './random.ts';
import type { Ev, Fb, Period, Story } from './simulate.ts';
import { TS_UTC } from './simulate.ts';
import { DAY, HOUR, localTimeOfDay, localToUtc, MINUTE } from './time.ts';
import { LAST_NAMES, round3, STORES } from './world.ts';
import type { Staffing } from './world.ts';

export const STAFF_HEADER = ['employee_id', 'name', 'team', 'site', 'manager_id', 'role', 'since'] as const;
export const EMPLOYEE_FEEDBACK_HEADER = ['response_id', 'ts', 'survey_id', 'metric', 'score', 'team', 'employee_id', 'comment'] as const;

/** The SMS campaign whose timing the demo plants. */
export const TIMED_SMS_ACTIVITY = 'marketing/plan_review';
/** Local hours of the badly timed batch: just before the engagement guard's default quiet hours (21:00). */
export const BAD_SMS_HOURS = [20, 21] as const;

export interface TimedSmsTruth {
  readonly activity: string;
  readonly channel: 'sms';
  /** Local hour range [from, to) of the bad batch. */
  readonly bad_hours: readonly [number, number];
  readonly sent_bad_hour: number;
  readonly sent_daytime: number;
  readonly csat_bad_hour: { readonly responses: number; readonly mean: number };
  readonly csat_daytime: { readonly responses: number; readonly mean: number };
  readonly opt_outs_bad_hour: number;
  readonly opt_outs_daytime: number;
}

export interface TeamsTruth {
  /** The team whose employees answered the pulse survey badly, and whose customers are least satisfied. */
  readonly disengaged_team: string;
  readonly enps_answers: Readonly<Record<string, number>>;
  /** Teams with fewer than 5 answers: their eNPS must never be shown. */
  readonly below_floor: readonly string[];
}

export class TimedSmsTally {
  sentBad = 0;
  sentDay = 0;
  csatBad: number[] = [];
  csatDay: number[] = [];
  optOutBad = 0;
  optOutDay = 0;

  truth(): TimedSmsTruth {
    const mean = (xs: number[]): number => (xs.length === 0 ? 0 : round3(xs.reduce((a, b) => a + b, 0) / xs.length));
    return {
      activity: TIMED_SMS_ACTIVITY,
      channel: 'sms',
      bad_hours: [BAD_SMS_HOURS[0], BAD_SMS_HOURS[1]],
      sent_bad_hour: this.sentBad,
      sent_daytime: this.sentDay,
      csat_bad_hour: { responses: this.csatBad.length, mean: mean(this.csatBad) },
      csat_daytime: { responses: this.csatDay.length, mean: mean(this.csatDay) },
      opt_outs_bad_hour: this.optOutBad,
      opt_outs_daytime: this.optOutDay,
    };
  }
}

/**
 * Adds the plan-review SMS to a customer's story: about half of those with a phone on file get it,
 * a third of them in the bad evening batch. A short CSAT pulse about the message follows for some
 * (much lower after the evening one), and an SMS opt-out for a few (far more after the evening one).
 */
export function plantTimedSms(story: Story, period: Period, tally: TimedSmsTally): void {
  const p = story.person;
  if (!p.phoneOnProfile || p.hiddenAtRisk) return;
  const rng = new Rng(period.seed, 'timed-sms', p.index);
  if (!rng.chance(0.5)) return;
  const until = story.churnAt ?? period.end;
  const day = rng.int(3, Math.max(3, period.days - 4));
  const bad = rng.chance(1 / 3);
  const hour = bad ? BAD_SMS_HOURS[0] : rng.int(10, 16);
  const midnight = Math.floor((period.start + day * DAY) / DAY) * DAY;
  const t = localToUtc(p.zone, midnight + hour * HOUR + rng.int(0, 59) * MINUTE);
  if (t < period.start || t >= until - 2 * DAY) return;
  if (bad !== Math.floor(localTimeOfDay(p.zone, t) / HOUR) >= BAD_SMS_HOURS[0]) return;
  const phone = callerId(p.phoneDigits, p.plus1);
  const ev: Ev = {
    t,
    channel: 'sms',
    activity: TIMED_SMS_ACTIVITY,
    outcome: '',
    outbound: true,
    agent: '',
    intent: '',
    cid: p.customerId,
    acc: '',
    phone,
    email: '',
    device: '',
    cookie: '',
    durationS: -1,
    waitS: -1,
    text: '',
    style: TS_UTC,
    escalation: false,
    seq: 1_000_000 + story.events.length,
    id: '',
  };
  story.events.push(ev);
  story.events.sort((a, b) => a.t - b.t || a.seq - b.seq);
  if (bad) tally.sentBad++;
  else tally.sentDay++;

  if (rng.chance(0.45)) {
    const score = Math.round(Math.min(5, Math.max(1, rng.normal(bad ? 2.1 : 4.1, 0.8))));
    const fb: Fb = {
      t: t + rng.uniform(0.5, 20) * HOUR,
      survey: 'sms_pulse_csat',
      metric: 'csat',
      scope: 'transaction',
      score,
      comment: bad && score <= 2 && rng.chance(0.5) ? rng.pick(LATE_COMMENTS) : '',
      ev,
      agent: '',
      cid: p.customerId,
      acc: '',
      email: '',
      phone: '',
      epoch: false,
    };
    story.feedback.push(fb);
    story.feedback.sort((a, b) => a.t - b.t);
    (bad ? tally.csatBad : tally.csatDay).push(score);
  }
  if (rng.chance(bad ? 0.18 : 0.015)) {
    story.consents.push({ channel: 'sms', status: 'deny', t: t + rng.uniform(0.2, 30) * HOUR });
    if (bad) tally.optOutBad++;
    else tally.optOutDay++;
  }
}

const LATE_COMMENTS = [
  'Why are you texting me at dinner time?',
  'A sales text in the evening. Please stop.',
  'Texted me at 8pm about my plan, not happy.',
];

function fullName(seed: number, id: string, first: string): string {
  return `${first} ${new Rng(seed, 'staff-name', id).pick(LAST_NAMES)}`;
}

/** The staff directory: every agent and store employee, plus a lead per team. */
export function staffRows(staffing: Staffing, period: Period): string[] {
  const rng = new Rng(period.seed, 'staff-directory');
  const rows: string[] = [];
  const teams = [...new Set(staffing.agents.map((a) => a.team))];
  const leads = new Map(teams.map((team, i) => [team, `TL-${String(i + 1).padStart(2, '0')}`]));
  for (const [team, id] of leads) {
    rows.push(csvRow([id, fullName(period.seed, id, rng.pick(['Dana', 'Chris', 'Pat', 'Robin', 'Alex'])), team, team === 'stores' ? 'Stores' : 'Contact center', '', 'team_lead', '2021-03-01T00:00:00Z']));
  }
  for (const a of staffing.agents) {
    const since = `${new Date(period.start - rng.int(60, 2500) * DAY).toISOString().slice(0, 10)}T00:00:00Z`;
    const site = a.kind === 'store' ? (STORES[a.store] ?? 'Stores') : 'Contact center';
    const role = a.kind === 'store' ? 'store_associate' : a.escalation ? 'senior_agent' : 'agent';
    rows.push(csvRow([a.agent_id, fullName(period.seed, a.agent_id, a.name), a.team, site, leads.get(a.team) ?? '', role, since]));
  }
  return rows;
}

/**
 * The employee pulse survey near the end of the period: every employee answers eNPS and
 * engagement; `disengaged` answers low. Every team has at least 5 people, so every team is shown.
 */
export function employeeFeedbackRows(staffing: Staffing, period: Period, disengaged: string): { rows: string[]; answers: Record<string, number> } {
  const rng = new Rng(period.seed, 'employee-pulse');
  const ts = new Date(period.end - 10 * DAY + 14 * HOUR).toISOString().replace('.000Z', 'Z');
  const rows: string[] = [];
  const answers: Record<string, number> = {};
  let n = 0;
  const byTeam = new Map<string, string[]>();
  for (const a of staffing.agents) byTeam.set(a.team, [...(byTeam.get(a.team) ?? []), a.agent_id]);
  for (const [team, ids] of byTeam) {
    const respondents = ids;
    answers[team] = respondents.length;
    for (const id of respondents) {
      const low = team === disengaged;
      const enps = low ? rng.pick([2, 3, 4, 5, 5, 6, 6, 7, 8]) : rng.pick([6, 7, 8, 8, 9, 9, 9, 10, 10]);
      const engagement = low ? rng.pick([1, 2, 2, 3]) : rng.pick([3, 4, 4, 5, 5]);
      const comment = low && rng.chance(0.5) ? rng.pick(['Targets change every week.', 'Nobody listens to our ideas.', 'Too few people on the floor.']) : '';
      rows.push(csvRow([`EF-${String(++n).padStart(4, '0')}`, ts, 'pulse_q2', 'enps', String(enps), team, id, comment]));
      rows.push(csvRow([`EF-${String(++n).padStart(4, '0')}`, ts, 'pulse_q2', 'engagement', String(engagement), team, id, '']));
    }
  }
  return { rows, answers };
}

/**
 * The disengaged team: the one where the rude store employees work, so that its customers feel it
 * through what the simulation already does to their visits (low CSAT, detractors), and nothing
 * else in the world changes.
 */
export function pickDisengagedTeam(staffing: Staffing): string {
  return staffing.agents.find((a) => a.rude)?.team ?? staffing.agents[0]?.team ?? '';
}
