/**
 * One customer's life over the period: journeys through channels with failures, switches and
 * retries, agents and store staff, promises, surveys, marketing, and possibly churn. The result
 * is plain data (a Story); the writer turns it into contract rows and ground truth.
 */
import { agentNote, comment, PROMISE_DESCRIPTIONS } from './comments.ts';
import type { Cause } from './comments.ts';
import { BLOCKED_CALLER_ID, callerId, PLACEHOLDER_STORE_EMAIL, writeEmail, writePhone } from './person.ts';
import type { Person } from './person.ts';
import { Rng, Weights } from './random.ts';
import { DAY, HOUR, localTimeOfDay, localToUtc, MINUTE } from './time.ts';
import {
  BROKEN_STEPS,
  FLOWS,
  INTENT_WEIGHTS,
  PRODUCT_RATES,
  PRODUCTS,
  PROMISE_BREAK_RATES,
  PROMISE_DUE_DAYS,
  TEAM_FOR_INTENT,
} from './world.ts';
import type { Agent, Channel, Intent, Product, PromiseKind, StepDef, Staffing } from './world.ts';

export type AnyChannel = Channel | 'email' | 'sms';

/** How a source system writes timestamps. */
export const TS_UTC_MS = 0;
export const TS_UTC = 1;
export const TS_LOCAL = 2;
export const TS_EPOCH = 3;

export interface Ev {
  t: number;
  channel: AnyChannel;
  activity: string;
  outcome: string;
  outbound: boolean;
  agent: string;
  intent: string;
  cid: string;
  acc: string;
  phone: string;
  email: string;
  device: string;
  cookie: string;
  durationS: number;
  waitS: number;
  text: string;
  style: number;
  /** Assisted contacts only: the contact inherited friction (earlier failure, transfer, repeat). */
  escalation: boolean;
  seq: number;
  /** Assigned when written, in file order. */
  id: string;
}

export interface Fb {
  t: number;
  survey: string;
  metric: 'nps' | 'csat' | 'ces';
  scope: 'relationship' | 'transaction';
  score: number;
  comment: string;
  ev: Ev | null;
  agent: string;
  cid: string;
  acc: string;
  email: string;
  phone: string;
  epoch: boolean;
}

export interface Pr {
  t: number;
  due: number;
  kind: PromiseKind;
  agent: string;
  ev: Ev;
  description: string;
  kept: number | null;
  cid: string;
  acc: string;
  state: 'kept' | 'broken' | 'open';
}

export interface HoldingRow {
  product: Product;
  since: number;
  until: number | null;
}

export interface ConsentRow {
  channel: 'email' | 'sms';
  status: 'grant' | 'deny';
  t: number;
}

export interface JourneyOutcome {
  intent: Intent;
  resolved: boolean;
}

export interface Story {
  person: Person;
  events: Ev[];
  feedback: Fb[];
  promises: Pr[];
  holdings: HoldingRow[];
  consents: ConsentRow[];
  journeys: JourneyOutcome[];
  churnAt: number | null;
}

export interface Period {
  readonly seed: number;
  readonly start: number;
  readonly end: number;
  readonly days: number;
  readonly staffing: Staffing;
}

type ExpKind = 'broken_step' | 'credit_broken' | 'promise_broken' | 'rude_staff' | 'failure';

interface Experience {
  t: number;
  kind: ExpKind;
  cause: Cause;
}

interface Plan {
  t: number;
  intent: Intent;
  start: Channel | null;
  repeat: boolean;
  chasing: PromiseKind | null;
  forceCsat: boolean;
}

const BROKEN_KEYS: ReadonlyMap<string, Cause> = new Map<string, Cause>([
  ['web:pay_bill/submit_payment', 'web_payment'],
  ['app:tech_support/reset_modem', 'app_modem'],
  ['web:plan_change/confirm_change', 'web_plan_change'],
]);
// Keep the cause map and the planted list in step: a broken step without a cause would tell no story.
for (const b of BROKEN_STEPS) {
  if (!BROKEN_KEYS.has(`${b.channel}:${b.activity}`)) throw new Error(`no cause for broken step ${b.activity}`);
}

// Local hour-of-day weights: digital use peaks in the evening; phones and stores keep office hours.
const DIGITAL_HOURS = [1, 0.5, 0.3, 0.2, 0.2, 0.4, 1, 2, 3, 4, 4, 4, 5, 5, 4, 4, 4, 5, 6, 7, 7, 6, 4, 2];
const PHONE_HOURS = [0, 0, 0, 0, 0, 0, 0, 0, 3, 6, 7, 7, 6, 6, 6, 6, 5, 5, 4, 3, 2, 0, 0, 0];
const STORE_HOURS = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 5, 6, 6, 6, 6, 6, 7, 7, 5, 0, 0, 0, 0];
const hourTable = (weights: readonly number[]): Weights<number> => new Weights(weights.map((w, h) => [h, w] as const));
const HOURS: Readonly<Record<Channel, Weights<number>>> = {
  web: hourTable(DIGITAL_HOURS),
  app: hourTable(DIGITAL_HOURS),
  ivr: hourTable(PHONE_HOURS.map((w) => w + 0.3)),
  call: hourTable(PHONE_HOURS),
  chat: hourTable(PHONE_HOURS),
  store: hourTable(STORE_HOURS),
};
/** Opening hours [from, to) in local hours; absent means always open. */
const OPEN: Partial<Record<Channel, readonly [number, number]>> = { call: [8, 21], chat: [8, 21], store: [10, 19] };

const START_WEIGHTS: Readonly<Record<Channel, number>> = { web: 0.35, app: 0.3, ivr: 0.15, call: 0.04, chat: 0.07, store: 0.09 };

type Next = Channel | 'retry' | 'give_up';
const AFTER_DIGITAL_FAILURE = new Weights<Next>([['ivr', 0.3], ['call', 0.2], ['chat', 0.11], ['store', 0.05], ['retry', 0.13], ['give_up', 0.21]]);
const NEXT_AFTER_FAILURE: Readonly<Record<Channel, Weights<Next>>> = {
  web: AFTER_DIGITAL_FAILURE,
  app: AFTER_DIGITAL_FAILURE,
  ivr: new Weights<Next>([['call', 0.45], ['retry', 0.1], ['web', 0.05], ['give_up', 0.4]]),
  call: new Weights<Next>([['retry', 0.3], ['chat', 0.05], ['store', 0.1], ['give_up', 0.55]]),
  chat: new Weights<Next>([['call', 0.5], ['give_up', 0.5]]),
  store: new Weights<Next>([['call', 0.35], ['give_up', 0.65]]),
};
const INTENTS = new Weights(INTENT_WEIGHTS);
/** Start channels per intent, among those the intent can be served in. */
const START_CHANNELS = new Map<Intent, Weights<Channel>>(
  INTENT_WEIGHTS.map(([intent]) => [
    intent,
    new Weights((Object.keys(START_WEIGHTS) as Channel[]).filter((ch) => FLOWS[intent][ch] !== undefined).map((ch) => [ch, START_WEIGHTS[ch]] as const)),
  ]),
);

const NPS_WEIGHT = {
  brokenStep: 2.4,
  brokenStepAgain: 0.8,
  credit: 3.0,
  promise: 1.4,
  rude: 2.6,
  failure: 0.35,
} as const;

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

class Life {
  readonly events: Ev[] = [];
  readonly feedback: Fb[] = [];
  readonly promises: Pr[] = [];
  readonly journeys: JourneyOutcome[] = [];
  readonly holdings: HoldingRow[] = [];
  readonly consents: ConsentRow[] = [];
  churnAt: number | null = null;
  private readonly exps: Experience[] = [];
  private readonly plans: Plan[] = [];
  private seq = 0;
  /** Position of the journey being run in `plans`: new plans go after it. */
  private current = 0;
  private readonly p: Person;
  private readonly w: Period;
  private readonly rng: Rng;
  private readonly horizon: number;

  constructor(person: Person, period: Period) {
    this.p = person;
    this.w = period;
    this.rng = new Rng(period.seed, 'life', person.index);
    this.horizon = period.end - period.start;
    this.createHoldings();
    this.createConsents();
  }

  run(): Story {
    this.planJourneys();
    const churnCheck = this.w.start + this.rng.uniform(0.55, 0.93) * this.horizon;
    let checked = false;
    for (let i = 0; i < this.plans.length; i++) {
      const plan = this.plans[i] as Plan;
      if (!checked && plan.t >= churnCheck) {
        checked = true;
        if (this.decideChurn(churnCheck)) break;
      }
      this.current = i;
      this.runJourney(plan);
    }
    if (!checked && churnCheck < this.w.end - DAY) this.decideChurn(churnCheck);
    const until = this.churnAt ?? this.w.end;
    for (const h of this.holdings) if (this.churnAt !== null && h.until === null) h.until = this.churnAt;
    this.outbound(until);
    this.relationshipSurveys(until);
    this.events.sort((a, b) => a.t - b.t || a.seq - b.seq);
    this.feedback.sort((a, b) => a.t - b.t);
    return {
      person: this.p,
      events: this.events,
      feedback: this.feedback,
      promises: this.promises,
      holdings: this.holdings,
      consents: this.consents,
      journeys: this.journeys,
      churnAt: this.churnAt,
    };
  }

  // ---- set-up -------------------------------------------------------------------------------

  private createHoldings(): void {
    const rng = this.rng;
    for (const product of PRODUCTS) {
      if (product === 'device_protection' && !this.holdings.some((h) => h.product === 'mobile_plan')) continue;
      if (rng.chance(PRODUCT_RATES[product])) this.holdings.push({ product, since: this.pastMidnight(60, 3000), until: null });
    }
    if (this.holdings.length === 0) this.holdings.push({ product: 'mobile_plan', since: this.pastMidnight(60, 3000), until: null });
  }

  private createConsents(): void {
    const rng = this.rng;
    for (const channel of ['email', 'sms'] as const) {
      const grant = rng.chance(channel === 'email' ? 0.72 : 0.55);
      this.consents.push({ channel, status: grant ? 'grant' : 'deny', t: this.w.start - rng.uniform(20, 1100) * DAY });
    }
    // A few people opt out during the period; marketing that ignores it is part of the story.
    if (this.rng.chance(0.05)) {
      const channel = rng.chance(0.6) ? 'sms' : 'email';
      this.consents.push({ channel, status: 'deny', t: this.w.start + rng.uniform(0.1, 0.7) * this.horizon });
    }
  }

  private pastMidnight(minDays: number, maxDays: number): number {
    const t = this.w.start - this.rng.uniform(minDays, maxDays) * DAY;
    return Math.floor(t / DAY) * DAY;
  }

  /** A local wall-clock time on a given day of the period, drawn from the channel's hours. */
  private timeOnDay(day: number, channel: Channel): number {
    const midnight = Math.floor((this.w.start + day * DAY) / DAY) * DAY;
    const hour = this.rng.draw(HOURS[channel]);
    return localToUtc(this.p.zone, midnight + hour * HOUR + this.rng.int(0, 3599) * 1000);
  }

  private startChannel(intent: Intent): Channel {
    const flows = FLOWS[intent];
    const pref = this.p.preferred;
    if (flows[pref] !== undefined && this.rng.chance(0.72)) return pref;
    const options = START_CHANNELS.get(intent);
    if (options === undefined) throw new Error(`no start channels for ${intent}`);
    return this.rng.draw(options);
  }

  private planJourneys(): void {
    const rng = this.rng;
    const days = this.w.days;
    const count = rng.poisson(0.088 * this.p.activity * days);
    for (let k = 0; k < count; k++) {
      const intent = rng.draw(INTENTS);
      const start = this.startChannel(intent);
      const t = this.timeOnDay(rng.int(0, days - 1), start);
      this.plans.push({ t, intent, start, repeat: false, chasing: null, forceCsat: false });
    }
    if (this.p.hiddenAtRisk) {
      // Make sure the hidden-at-risk story is visible: a pleasant assisted contact before the survey.
      const intent = rng.pick<Intent>(['pay_bill', 'plan_change', 'upgrade_device']);
      const start = rng.pick<Channel>(['call', 'store', 'chat']);
      const t = this.timeOnDay(Math.floor(rng.uniform(0.03, 0.22) * days), start);
      this.plans.push({ t, intent, start, repeat: false, chasing: null, forceCsat: true });
    }
    this.plans.sort((a, b) => a.t - b.t);
    for (let k = this.plans.length - 1; k >= 0; k--) {
      const t = (this.plans[k] as Plan).t;
      if (t < this.w.start || t >= this.w.end) this.plans.splice(k, 1);
    }
  }

  /** Adds a plan after the running one, keeping the list sorted by time. */
  private schedule(plan: Plan): void {
    if (plan.t >= this.w.end) return;
    let i = this.plans.length;
    while (i > this.current + 1 && (this.plans[i - 1] as Plan).t > plan.t) i--;
    this.plans.splice(i, 0, plan);
  }

  private open(channel: Channel, t: number): number {
    const hours = OPEN[channel];
    if (hours === undefined) return t;
    const tod = localTimeOfDay(this.p.zone, t);
    const from = hours[0] * HOUR;
    const to = hours[1] * HOUR;
    if (tod >= from && tod < to) return t;
    const wait = tod < from ? from - tod : DAY - tod + from;
    return t + wait + this.rng.int(0, 90) * MINUTE;
  }

  // ---- journeys -----------------------------------------------------------------------------

  private runJourney(plan: Plan): void {
    const rng = this.rng;
    const p = this.p;
    const intent = plan.intent;
    let channel: Channel = plan.start ?? this.startChannel(intent);
    let t = plan.t;
    let priorFailures = 0;
    let viaTransfer = false;
    let ani = '';
    let resolved = false;
    let digitalFailure = false;
    let lastDigital: Ev | null = null;
    let lastEv: Ev | null = null;
    let csatForced = plan.forceCsat;
    const cookie = this.pickCookie(intent);
    const device = rng.pick(p.devices);

    for (let attempt = 0; attempt < 5 && t < this.w.end; attempt++) {
      const flow = FLOWS[intent][channel];
      if (flow === undefined) break;
      t = this.open(channel, t);
      if (t >= this.w.end) break;

      const assisted = channel === 'call' || channel === 'chat' || channel === 'store';
      const escalation = assisted && (priorFailures > 0 || viaTransfer || plan.repeat);
      let agent: Agent | null = null;
      let wait = 0;
      if (channel === 'store') {
        const store = rng.chance(0.9) ? p.homeStore : rng.int(0, 3);
        agent = rng.pick(this.w.staffing.storeStaff[store] as readonly Agent[]);
        wait = Math.round(rng.exp(240));
      } else if (assisted) {
        agent = this.route(TEAM_FOR_INTENT[intent], escalation);
        wait = Math.round(channel === 'chat' ? rng.exp(35) : rng.exp(70) + (escalation ? rng.exp(60) : 0));
      }
      if (channel === 'ivr' || (channel === 'call' && !viaTransfer)) ani = this.callerId();
      const browseOnly = channel === 'web' && cookie !== null && !cookie.logsIn;
      const ids = this.identifiers(channel, cookie?.id ?? '', device, ani);
      let loggedIn = channel !== 'web';
      let failed: StepDef | null = null;
      let outcome = 'success';
      let handoff: Channel | null = null;
      let contact: Ev | null = null;
      let attemptLast: Ev | null = null;
      t += wait * 1000;

      for (const step of flow) {
        if (browseOnly && !step.anon) break;
        // The export ends at the period's end, whatever the customer does next.
        if (t + 1000 >= this.w.end) break;
        if (step.login) loggedIn = true;
        outcome = this.outcome(step, agent);
        const seconds = Math.max(5, Math.round(step.seconds * rng.uniform(0.6, 1.6)));
        const ev = this.emit(t, channel, step.activity, outcome, {
          ...ids,
          cid: channel === 'web' && !loggedIn ? '' : ids.cid,
          agent: agent?.agent_id ?? '',
          intent: channel === 'call' || channel === 'chat' ? intent : '',
          durationS: seconds,
          waitS: contact === null && assisted ? wait : -1,
          escalation,
        });
        contact ??= assisted ? ev : null;
        lastEv = ev;
        attemptLast = ev;
        if (channel === 'web' || channel === 'app') lastDigital = ev;
        t += seconds * 1000 + rng.int(5, 90) * 1000;
        if (outcome !== 'success') {
          failed = step;
          break;
        }
        // Many web shoppers compare online and buy in a store or by phone: a switch that is not a failure.
        if (step.activity === 'upgrade_device/compare_devices' && !browseOnly && rng.chance(0.35)) {
          handoff = rng.chance(0.6) ? 'store' : 'call';
          break;
        }
      }
      // Nothing happened before the period ended: the journey stays as it was.
      if (attemptLast === null) break;

      if (agent !== null && contact !== null) {
        if (plan.chasing !== null && channel !== 'store') {
          contact.text = `Customer chasing ${plan.chasing} promised earlier, still not done. ${contact.text}`.trim();
        } else if (channel !== 'store') {
          contact.text = agentNote(rng, channel, contact.activity, intent, agent.name, failed === null);
        }
        if (agent.rude) this.exps.push({ t: contact.t, kind: 'rude_staff', cause: 'rude_staff' });
        this.afterContact(attemptLast, agent, failed === null, { priorFailures, viaTransfer, wait, repeat: plan.repeat, forced: csatForced });
        csatForced = false;
      }
      // Device buyers often add protection; more often when a person sells it to them.
      if (failed === null && this.isPurchase(attemptLast.activity) && !this.holds('device_protection', attemptLast.t) && rng.chance(agent !== null ? 0.35 : 0.2)) {
        this.holdings.push({ product: 'device_protection', since: attemptLast.t, until: null });
      }

      if (failed === null) {
        if (handoff !== null) {
          channel = handoff;
          t += handoff === 'store' ? rng.uniform(4, 48) * HOUR : rng.uniform(2, 40) * MINUTE;
          continue;
        }
        resolved = true;
        break;
      }
      if (outcome === 'transferred') {
        viaTransfer = true;
        channel = 'call';
        t = attemptLast.t + (attemptLast.durationS + rng.int(5, 30)) * 1000;
        continue;
      }
      priorFailures++;
      const brokenCause = BROKEN_KEYS.get(`${channel}:${failed.activity}`);
      if (channel === 'web' || channel === 'app') digitalFailure = true;
      this.exps.push({ t: attemptLast.t, kind: brokenCause === undefined ? 'failure' : 'broken_step', cause: brokenCause ?? 'failure' });
      const next = rng.draw(NEXT_AFTER_FAILURE[channel]);
      if (next === 'give_up') break;
      const target: Channel = next === 'retry' ? channel : FLOWS[intent][next] !== undefined ? next : 'call';
      if (FLOWS[intent][target] === undefined) break;
      viaTransfer = false;
      if (target === 'store') t += rng.uniform(10, 60) * HOUR;
      else if (next === 'retry') t += rng.uniform(10 * MINUTE, 8 * HOUR);
      else t += rng.uniform(2, 45) * MINUTE;
      channel = target;
    }

    if (lastEv === null) return;
    this.journeys.push({ intent, resolved });
    if (!resolved) {
      this.exps.push({ t: lastEv.t, kind: 'failure', cause: 'failure' });
      if (!plan.repeat && rng.chance(0.45)) {
        const start = rng.weighted<Channel>([
          ['ivr', 0.5],
          ['chat', 0.2],
          ['store', 0.15],
          ['web', 0.15],
        ]);
        const channel2 = FLOWS[intent][start] !== undefined ? start : 'call';
        this.schedule({ t: lastEv.t + rng.uniform(1, 4) * DAY, intent, start: channel2, repeat: true, chasing: null, forceCsat: false });
      }
    }
    // Only signed-in visitors can be surveyed: anonymous browsing gets no CES invitation.
    if (lastDigital !== null && lastDigital.cid !== '' && rng.chance(0.12)) {
      const latent = 5.9 - (digitalFailure ? 2.3 : 0) - (resolved ? 0 : 0.8) + rng.normal(0, 0.9);
      const score = Math.round(clamp(latent, 1, 7));
      const at = lastEv.t + rng.uniform(10, 120) * MINUTE;
      if (at < this.w.end) {
        const goodness = (score - 1) / 6;
        const cause = this.recentCause(lastEv.t + 1, lastEv.t - DAY) ?? 'easy';
        this.feedback.push({
          t: at,
          survey: 'digital_ces',
          metric: 'ces',
          scope: 'transaction',
          score,
          comment: rng.chance(0.25) ? comment(rng, cause, goodness, null) : '',
          ev: lastDigital,
          agent: '',
          cid: p.customerId,
          acc: '',
          email: '',
          phone: '',
          epoch: rng.chance(0.12),
        });
      }
    }
  }

  private isPurchase(activity: string): boolean {
    return activity === 'upgrade_device/checkout' || activity === 'upgrade_device/store_purchase' || activity === 'upgrade_device/agent_order' || activity === 'upgrade_device/chat_order';
  }

  private holds(product: Product, t: number): boolean {
    return this.holdings.some((h) => h.product === product && h.since <= t && (h.until === null || h.until > t));
  }

  private pickCookie(intent: Intent): { id: string; logsIn: boolean } | null {
    const cookies = this.p.cookies;
    const hasAnon = (FLOWS[intent].web ?? []).some((s) => s.anon);
    const anonOnly = cookies.filter((c) => !c.logsIn);
    // Browse-only visits happen from browsers the person never logs in from.
    if (hasAnon && anonOnly.length > 0 && this.rng.chance(0.25)) return this.rng.pick(anonOnly);
    const loginable = cookies.filter((c) => c.logsIn);
    return loginable.length > 0 ? this.rng.pick(loginable) : null;
  }

  private route(team: 'billing' | 'tech' | 'retention' | 'stores', escalation: boolean): Agent {
    const group = this.w.staffing.byTeam[team];
    const senior = escalation ? this.rng.chance(0.78) : this.rng.chance(0.1);
    return this.rng.pick(senior && group.seniors.length > 0 ? group.seniors : group.others);
  }

  private callerId(): string {
    const r = this.rng.next();
    if (r < 0.06) return BLOCKED_CALLER_ID;
    // A work or borrowed phone that appears nowhere else.
    if (r < 0.09) return this.rng.pick(this.p.otherPhones);
    return callerId(this.p.phoneDigits, this.p.plus1);
  }

  private identifiers(channel: Channel, cookie: string, device: string, ani: string): Pick<Ev, 'cid' | 'acc' | 'phone' | 'email' | 'device' | 'cookie'> {
    const p = this.p;
    const rng = this.rng;
    const none = { cid: '', acc: '', phone: '', email: '', device: '', cookie: '' };
    switch (channel) {
      case 'web':
        return { ...none, cid: p.customerId, cookie };
      case 'app':
        return { ...none, cid: p.customerId, device };
      case 'ivr':
        return { ...none, phone: ani };
      case 'call': {
        const phone = !rng.chance(0.8) ? '' : ani === callerId(p.phoneDigits, p.plus1) ? writePhone(rng, p.phoneDigits, p.plus1) : ani;
        return p.accountOnProfile ? { ...none, acc: p.accountId, phone } : { ...none, cid: p.customerId, phone };
      }
      case 'chat':
        return rng.chance(0.6) ? { ...none, email: writeEmail(rng, p.email) } : { ...none, cid: p.customerId };
      case 'store': {
        const r = rng.next();
        if (r < 0.6) return { ...none, cid: p.customerId };
        if (r < 0.9 && p.phoneOnProfile) return { ...none, phone: writePhone(rng, p.phoneDigits, p.plus1) };
        return { ...none, email: PLACEHOLDER_STORE_EMAIL };
      }
    }
  }

  private outcome(step: StepDef, agent: Agent | null): string {
    const fail = agent === null ? step.fail : step.fail * (1.45 - agent.skill);
    let r = this.rng.next();
    if (r < fail) return 'failure';
    r -= fail;
    if (r < step.abandon) return 'abandoned';
    r -= step.abandon;
    if (r < step.transfer) return 'transferred';
    return 'success';
  }

  private emit(t: number, channel: AnyChannel, activity: string, outcome: string, rest: Partial<Ev>): Ev {
    const style =
      channel === 'web' || channel === 'app'
        ? this.rng.chance(0.1)
          ? TS_EPOCH
          : TS_UTC_MS
        : channel === 'ivr'
          ? TS_EPOCH
          : channel === 'call' || channel === 'chat' || channel === 'store'
            ? TS_LOCAL
            : TS_UTC;
    const ev: Ev = {
      // Clickstream collectors stamp milliseconds; other systems whole seconds.
      t: style === TS_UTC_MS || (style === TS_EPOCH && channel !== 'ivr') ? Math.round(t) + this.rng.int(0, 999) : Math.round(t / 1000) * 1000,
      channel,
      activity,
      outcome,
      outbound: false,
      agent: '',
      intent: '',
      cid: '',
      acc: '',
      phone: '',
      email: '',
      device: '',
      cookie: '',
      durationS: -1,
      waitS: -1,
      text: '',
      style,
      escalation: false,
      seq: this.seq++,
      id: '',
      ...rest,
    };
    this.events.push(ev);
    return ev;
  }

  // ---- after an assisted contact ------------------------------------------------------------

  private afterContact(
    ev: Ev,
    agent: Agent,
    succeeded: boolean,
    friction: { priorFailures: number; viaTransfer: boolean; wait: number; repeat: boolean; forced: boolean },
  ): void {
    const rng = this.rng;
    const p = this.p;
    const kind = succeeded ? this.promiseFor(ev.activity) : rng.chance(0.5) ? 'callback' : null;
    if (kind !== null && ev.channel !== 'ivr') this.makePromise(kind, ev, agent);

    const end = ev.t + Math.max(ev.durationS, 0) * 1000;
    const invited = friction.forced || rng.chance(0.7);
    if (!invited) return;
    const inviteAt = end + rng.uniform(5, 30) * MINUTE;
    if (inviteAt >= this.w.end) return;
    this.invite('survey/invite_csat', inviteAt);
    if (!(friction.forced || (p.hiddenAtRisk && rng.chance(0.8)) || rng.chance(0.42))) return;
    const overdue = this.promises.some((pr) => pr.due < ev.t && (pr.kept === null || pr.kept > ev.t));
    const latent =
      4.05 +
      1.6 * (agent.skill - 0.6) -
      (friction.priorFailures > 0 ? 1.5 : 0) -
      0.35 * Math.min(Math.max(friction.priorFailures - 1, 0), 2) -
      (friction.viaTransfer ? 0.6 : 0) -
      (friction.repeat ? 0.7 : 0) -
      0.3 * Math.min(friction.wait / 300, 2) -
      (overdue ? 0.9 : 0) -
      (agent.rude ? 1.2 : 0) +
      (succeeded ? 0.25 : -0.9) +
      rng.normal(0, 0.75);
    let score = Math.round(clamp(latent, 1, 5));
    // Hidden-at-risk customers are polite about every single contact.
    if (p.hiddenAtRisk && score < 4) score = rng.chance(0.5) ? 4 : 5;
    const at = inviteAt + rng.uniform(0.2, 30) * HOUR;
    if (at >= this.w.end) return;
    let cause: Cause;
    if (score >= 4) cause = agent.kind === 'store' ? 'store_praise' : 'agent_praise';
    else if (agent.rude) cause = 'rude_staff';
    else if (overdue) cause = 'credit_promise';
    else if (friction.wait > 420) cause = 'wait';
    else cause = this.recentCause(ev.t, ev.t - 2 * DAY) ?? 'failure';
    const survey = ev.channel === 'store' ? 'post_store_csat' : ev.channel === 'chat' ? 'post_chat_csat' : 'post_call_csat';
    const r = rng.next();
    this.feedback.push({
      t: at,
      survey,
      metric: 'csat',
      scope: 'transaction',
      score,
      comment: rng.chance(0.3) ? comment(rng, cause, (score - 1) / 4, agent.name) : '',
      ev,
      agent: agent.agent_id,
      cid: r < 0.7 ? p.customerId : '',
      acc: r >= 0.7 && r < 0.9 && p.accountOnProfile ? p.accountId : '',
      phone: r >= 0.9 || (r >= 0.7 && !p.accountOnProfile) ? callerId(p.phoneDigits, p.plus1) : '',
      email: '',
      epoch: rng.chance(0.12),
    });
  }

  private promiseFor(activity: string): PromiseKind | null {
    const rng = this.rng;
    switch (activity) {
      case 'dispute_charge/agent_review':
        return rng.chance(0.65) ? 'credit' : null;
      case 'dispute_charge/chat_review':
        return rng.chance(0.45) ? 'credit' : null;
      case 'dispute_charge/store_review':
        return rng.chance(0.5) ? 'credit' : null;
      case 'plan_change/agent_change':
      case 'plan_change/store_change':
        return rng.chance(0.12) ? 'credit' : null;
      case 'tech_support/agent_troubleshoot':
      case 'tech_support/chat_troubleshoot':
        return rng.chance(0.3) ? 'repair' : rng.chance(0.1) ? 'callback' : null;
      case 'upgrade_device/agent_order':
      case 'upgrade_device/chat_order':
        return rng.chance(0.85) ? 'delivery' : null;
      case 'upgrade_device/store_purchase':
        return rng.chance(0.3) ? 'delivery' : null;
      case 'pay_bill/agent_payment':
      case 'pay_bill/store_payment':
        return rng.chance(0.06) ? 'refund' : null;
      default:
        return null;
    }
  }

  private makePromise(kind: PromiseKind, ev: Ev, agent: Agent): void {
    const rng = this.rng;
    const [lo, hi] = PROMISE_DUE_DAYS[kind];
    let due = Math.round(ev.t + rng.uniform(lo, hi) * DAY);
    if (kind === 'credit' || kind === 'refund' || kind === 'delivery') {
      // Date-based commitments ("on your next bill", "within 5 days") fall due at the end of a local day.
      const offset = localTimeOfDay(this.p.zone, due);
      due = due - offset + DAY - MINUTE;
    }
    const broken = rng.chance(PROMISE_BREAK_RATES[kind]);
    let kept: number | null = broken ? null : Math.round(ev.t + rng.uniform(0.2, 0.95) * (due - ev.t));
    if (kept !== null && kept >= this.w.end) kept = null;
    const state = kept !== null ? 'kept' : due >= this.w.end ? 'open' : 'broken';
    this.promises.push({
      t: ev.t,
      due,
      kind,
      agent: agent.agent_id,
      ev,
      description: rng.pick(PROMISE_DESCRIPTIONS[kind] ?? ['']),
      kept,
      cid: this.p.accountOnProfile ? '' : this.p.customerId,
      acc: this.p.accountOnProfile ? this.p.accountId : '',
      state,
    });
    if (state !== 'broken') return;
    this.exps.push({ t: due, kind: kind === 'credit' ? 'credit_broken' : 'promise_broken', cause: kind === 'credit' ? 'credit_promise' : 'other_promise' });
    if (rng.chance(kind === 'credit' ? 0.85 : 0.6)) {
      const intent = ev.activity.slice(0, ev.activity.indexOf('/')) as Intent;
      const chase: Intent = kind === 'credit' || kind === 'refund' ? 'dispute_charge' : kind === 'delivery' ? 'upgrade_device' : intent === 'cancel' ? 'tech_support' : intent;
      const start = rng.weighted<Channel>([
        ['ivr', 0.45],
        ['call', 0.35],
        ['chat', 0.2],
      ]);
      this.schedule({ t: due + rng.uniform(0.5, 5) * DAY, intent: chase, start: FLOWS[chase][start] !== undefined ? start : 'call', repeat: true, chasing: kind, forceCsat: false });
    }
  }

  // ---- satisfaction, churn ------------------------------------------------------------------

  /** Relationship NPS the person would give at time t, before answer noise. */
  private npsLatent(t: number): number {
    let brokenSteps = 0;
    let credit = 0;
    let promise = 0;
    let rude = 0;
    let failures = 0;
    for (const e of this.exps) {
      if (e.t >= t) continue;
      if (e.kind === 'broken_step') brokenSteps++;
      else if (e.kind === 'credit_broken') credit++;
      else if (e.kind === 'promise_broken') promise++;
      else if (e.kind === 'rude_staff') rude++;
      else failures++;
    }
    let v = this.p.baseNps;
    if (brokenSteps > 0) v -= NPS_WEIGHT.brokenStep + (brokenSteps > 1 ? NPS_WEIGHT.brokenStepAgain : 0);
    if (credit > 0) v -= NPS_WEIGHT.credit;
    if (promise > 0) v -= NPS_WEIGHT.promise;
    if (rude > 0) v -= NPS_WEIGHT.rude;
    v -= NPS_WEIGHT.failure * Math.min(failures, 3);
    return v;
  }

  /** The strongest reason for unhappiness before t (and after `since`), for comments. */
  private recentCause(t: number, since = -Infinity): Cause | null {
    const rank: Readonly<Record<ExpKind, number>> = { rude_staff: 5, credit_broken: 4, broken_step: 3, promise_broken: 2, failure: 1 };
    let best: Experience | null = null;
    for (const e of this.exps) {
      if (e.t >= t || e.t < since) continue;
      if (best === null || rank[e.kind] > rank[best.kind]) best = e;
    }
    return best?.cause ?? null;
  }

  private decideChurn(at: number): boolean {
    const detractor = this.npsLatent(at) < 6.5;
    const has = (kind: ExpKind): boolean => this.exps.some((e) => e.kind === kind && e.t < at);
    const failures = this.exps.filter((e) => (e.kind === 'failure' || e.kind === 'broken_step') && e.t < at).length;
    const p =
      0.01 +
      (detractor ? 0.12 : 0) +
      (has('credit_broken') ? 0.12 : 0) +
      (has('promise_broken') ? 0.05 : 0) +
      (failures >= 3 ? 0.05 : 0) +
      (has('rude_staff') ? 0.05 : 0) +
      (this.p.hiddenAtRisk ? 0.3 : 0);
    if (!this.rng.chance(p)) return false;
    const viaStore = this.rng.chance(0.28);
    const channel: Channel = viaStore ? 'store' : 'call';
    // A journey begun before the decision may still be running: the customer cancels after it.
    let latest = at;
    for (const e of this.events) if (!e.outbound && e.t > latest) latest = e.t + this.rng.uniform(1, 24) * HOUR;
    let t = this.open(channel, latest);
    if (t >= this.w.end - HOUR) return false;
    const agent = viaStore ? this.rng.pick(this.w.staffing.storeStaff[this.p.homeStore] as readonly Agent[]) : this.route('retention', false);
    const ids = this.identifiers(channel, '', '', viaStore ? '' : this.callerId());
    const wait = Math.round(viaStore ? this.rng.exp(240) : this.rng.exp(70));
    t += wait * 1000;
    let last: Ev | null = null;
    for (const step of FLOWS.cancel[channel] ?? []) {
      const seconds = Math.round(step.seconds * this.rng.uniform(0.6, 1.6));
      last = this.emit(t, channel, step.activity, 'success', {
        ...ids,
        agent: agent.agent_id,
        intent: channel === 'call' ? 'cancel' : '',
        durationS: seconds,
        waitS: last === null ? wait : -1,
        text: channel === 'call' ? agentNote(this.rng, channel, step.activity, 'cancel', agent.name, true) : '',
      });
      t += (seconds + this.rng.int(5, 60)) * 1000;
    }
    if (last === null) return false;
    this.churnAt = last.t;
    this.journeys.push({ intent: 'cancel', resolved: true });
    return true;
  }

  // ---- outbound and relationship surveys ----------------------------------------------------

  private invite(activity: string, t: number): void {
    const p = this.p;
    const byEmail = !p.placeholderEmail && (!p.phoneOnProfile || this.rng.chance(0.5));
    if (!byEmail && !p.phoneOnProfile) return;
    this.emitOutbound(byEmail ? 'email' : 'sms', activity, t);
  }

  private emitOutbound(channel: 'email' | 'sms', activity: string, t: number): void {
    const p = this.p;
    this.emit(t, channel, activity, '', {
      outbound: true,
      cid: p.customerId,
      email: channel === 'email' ? p.email : '',
      phone: channel === 'sms' ? callerId(p.phoneDigits, p.plus1) : '',
    });
  }

  /** Campaigns go out in UTC batches with no regard for holdings, consent or quiet hours. */
  private outbound(until: number): void {
    const rng = this.rng;
    const p = this.p;
    const campaign = (channel: 'email' | 'sms', everyDays: number, hours: readonly number[]): void => {
      const n = rng.poisson(this.w.days / everyDays);
      for (let k = 0; k < n; k++) {
        const midnight = Math.floor((this.w.start + rng.int(0, this.w.days - 1) * DAY) / DAY) * DAY;
        const t = midnight + rng.pick(hours) * HOUR + rng.int(0, 40) * MINUTE;
        if (t < this.w.start || t >= until) continue;
        this.emitOutbound(channel, `marketing/offer_${rng.pick(PRODUCTS)}`, t);
      }
    };
    if (!p.placeholderEmail) campaign('email', 26, [13, 15, 17, 1, 23]);
    if (p.phoneOnProfile) campaign('sms', 45, [12, 16, 18, 2]);
    const firstMonth = new Date(this.w.start);
    for (let m = 0; m <= Math.ceil(this.w.days / 28) + 1; m++) {
      const due = Date.UTC(firstMonth.getUTCFullYear(), firstMonth.getUTCMonth() + m, p.billDay);
      const t = due - 3 * DAY + 11 * HOUR + rng.int(0, 59) * MINUTE;
      if (t < this.w.start || t >= until || !rng.chance(0.8)) continue;
      const sms = p.phoneOnProfile && (p.placeholderEmail || rng.chance(0.6));
      if (!sms && p.placeholderEmail) continue;
      this.emitOutbound(sms ? 'sms' : 'email', 'billing/payment_reminder', t);
    }
  }

  private relationshipSurveys(until: number): void {
    const rng = this.rng;
    const p = this.p;
    const waves = this.w.days >= 30 ? [0.3, 0.8] : [0.5];
    for (let w = 0; w < waves.length; w++) {
      const always = p.hiddenAtRisk && w === 0;
      if (!always && !rng.chance(0.5)) continue;
      const inviteAt = this.w.start + (waves[w] as number) * this.horizon + rng.uniform(0, 2) * DAY;
      if (inviteAt >= until) continue;
      this.invite('survey/invite_nps', inviteAt);
      if (!always && !rng.chance(0.45)) continue;
      const at = inviteAt + rng.uniform(1, 96) * HOUR;
      if (at >= until) continue;
      let score = Math.round(clamp(this.npsLatent(at) + rng.normal(0, 1.2), 0, 10));
      if (p.hiddenAtRisk) score = Math.min(score, 6);
      const cause = p.hiddenAtRisk ? 'price_network' : (this.recentCause(at) ?? 'general');
      const viaEmail = !p.placeholderEmail;
      const emailOnly = viaEmail && rng.chance(0.15);
      this.feedback.push({
        t: at,
        survey: 'rel_nps_q',
        metric: 'nps',
        scope: 'relationship',
        score,
        comment: rng.chance(0.4) ? comment(rng, score >= 9 ? 'easy' : cause, score / 10, null) : '',
        ev: null,
        agent: '',
        cid: emailOnly ? '' : p.customerId,
        acc: '',
        email: viaEmail ? writeEmail(rng, p.email) : '',
        phone: '',
        epoch: rng.chance(0.12),
      });
    }
  }
}

export function simulate(person: Person, period: Period): Story {
  return new Life(person, period).run();
}
