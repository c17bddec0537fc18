/**
 * Worlds for validating fair agent scores (docs/attribution.md, "How well it works"): generators
 * that differ in how friction reaches employees, not only in their seed, each writing contract
 * rows (interactions, transaction CSAT tied to the agent and the event, promises) with every
 * employee's true skill known. Skill and every effect are in CSAT points; an answer is the
 * rounded sum of a base, the agent's skill, what the scenario adds and what the friction costs,
 * plus noise, clamped to 1–5. None of these worlds is the demo generator.
 */
import type { Cells } from '../../src/insight/testing.ts';
import { at } from '../../src/insight/testing.ts';
import { createTestRandom } from '../../src/journey/testing.ts';

export interface Scenario {
  readonly name: string;
  readonly interactions: Cells[];
  readonly feedback: Cells[];
  readonly promises: Cells[];
  /** True skill of every agent who can be answered about. */
  readonly skill: Map<string, number>;
}

/** What happened before the agent picked up: the friction the contact inherits. */
interface Friction {
  /** A web step of the same journey failed just before. */
  failure?: boolean;
  /** The IVR routed the call by a step ending `transferred` (routing, not a failure). */
  routing?: boolean;
  /** A front-line agent transferred the customer (a real hand-over). */
  transfer?: boolean;
  /** The customer had tried the same goal two days before. */
  repeat?: boolean;
  /** A credit promise to the customer was overdue. */
  brokenPromise?: boolean;
  waitMinutes?: number;
}

interface ContactSpec extends Friction {
  readonly agent: string;
  readonly intent: string;
  readonly day: number;
  /** The answer's score, or undefined when the customer did not answer. */
  readonly score: number | undefined;
  /** Extra interaction columns (a `team` attribute). */
  readonly attrs?: Cells;
}

class World {
  readonly interactions: Cells[] = [];
  readonly feedback: Cells[] = [];
  readonly promises: Cells[] = [];
  readonly skill = new Map<string, number>();
  readonly random: () => number;
  private n = 0;

  constructor(
    readonly tag: string,
    seed: number,
  ) {
    this.random = createTestRandom(seed);
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.random();
  }

  chance(p: number): boolean {
    return this.random() < p;
  }

  normal(): number {
    const u = Math.max(this.random(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.random());
  }

  pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.random() * list.length)]!;
  }

  /** A 1–5 answer around `mean` with single-answer noise `sd`. */
  answer(mean: number, sd = 0.7): number {
    return Math.min(5, Math.max(1, Math.round(mean + sd * this.normal())));
  }

  contact(c: ContactSpec): void {
    const k = ++this.n;
    const customer = `${this.tag}-C${k}`;
    const journey = `${this.tag}-J${k}`;
    const minute = Math.floor(this.random() * 480);
    let step = 0;
    const event = (cells: Cells): string => {
      const event_id = `${this.tag}-E${k}-${++step}`;
      this.interactions.push({ event_id, customer_id: customer, journey_id: journey, ...cells });
      return event_id;
    };
    if (c.repeat) {
      this.interactions.push({
        event_id: `${this.tag}-E${k}-0`, customer_id: customer, journey_id: `${journey}-earlier`,
        ts: at(c.day - 2, minute), channel: 'web', activity: `${c.intent}/start`, outcome: 'abandoned',
      });
    }
    if (c.brokenPromise) {
      this.promises.push({ promise_id: `${this.tag}-P${k}`, customer_id: customer, ts: at(c.day - 6), due: at(c.day - 2), kind: 'credit', agent_id: 'FL-00' });
    }
    if (c.failure) event({ ts: at(c.day, minute), channel: 'web', activity: `${c.intent}/submit`, outcome: 'failure' });
    if (c.routing) event({ ts: at(c.day, minute + 5), channel: 'ivr', activity: `${c.intent}/ivr_route`, outcome: 'transferred' });
    if (c.transfer) {
      event({ ts: at(c.day, minute + 8), channel: 'call', activity: `${c.intent}/front_desk`, outcome: 'transferred', agent_id: `FL-${String(k % 5).padStart(2, '0')}`, wait_s: 60 });
    }
    const call = event({
      ts: at(c.day, minute + 12), channel: 'call', activity: `${c.intent}/agent_help`, outcome: 'success', agent_id: c.agent,
      wait_s: Math.round((c.waitMinutes ?? 0) * 60), ...c.attrs,
    });
    if (c.score !== undefined) {
      this.feedback.push({
        response_id: `${this.tag}-R${k}`, ts: at(c.day, minute + 60), survey_id: 'post_contact_csat', metric: 'csat', scope: 'transaction',
        score: c.score, customer_id: customer, event_id: call, agent_id: c.agent,
      });
    }
  }

  agents(prefix: string, count: number, skill: (i: number) => number): string[] {
    return Array.from({ length: count }, (_, i) => {
      const id = `${prefix}-${String(i + 1).padStart(2, '0')}`;
      this.skill.set(id, skill(i));
      return id;
    });
  }

  done(name: string): Scenario {
    return { name, interactions: this.interactions, feedback: this.feedback, promises: this.promises, skill: this.skill };
  }
}

const INTENTS = ['billing', 'orders', 'tech', 'account'] as const;

/**
 * (a) Friction independent of skill: every contact draws its friction at random and goes to any
 * agent alike. Raw CSAT is only noisier here, not biased; the adjusted score must not be worse.
 */
export function independentFriction(seed = 11): Scenario {
  const w = new World('ind', seed);
  const agents = w.agents('AG', 25, () => 0.25 * w.normal());
  for (let i = 0; i < 1000; i++) {
    const agent = w.pick(agents);
    const f: Friction = {
      failure: w.chance(0.35), transfer: w.chance(0.2), repeat: w.chance(0.2), brokenPromise: w.chance(0.1), waitMinutes: w.uniform(0, 6),
    };
    const cost = 0.7 * +!!f.failure + 0.4 * +!!f.transfer + 0.4 * +!!f.repeat + 0.6 * +!!f.brokenPromise + 0.04 * f.waitMinutes!;
    w.contact({ ...f, agent, intent: w.pick(INTENTS), day: 3 + (i % 50), score: w.answer(4.1 + w.skill.get(agent)! - cost) });
  }
  return w.done('friction independent of skill');
}

/**
 * (b) Friction routed to the best: the top tier takes 85% of the calls that follow a failure or a
 * broken promise; every call in `tech` and `account` comes through an IVR step that ends
 * `transferred` (routing, costing nothing); after a failure a front-line agent often transfers the
 * customer on, so a failure and a transfer come together; friction costs several times 0.09.
 */
export function frictionRoutedToTheBest(seed = 23): Scenario {
  const w = new World('routed', seed);
  const top = w.agents('TOP', 8, () => 0.3 + 0.3 * w.random());
  const rest = w.agents('AG', 22, () => -0.4 + 0.6 * w.random());
  const routingIntents = new Set(['tech', 'account']);
  for (let i = 0; i < 1100; i++) {
    const intent = w.pick(INTENTS);
    const failure = w.chance(0.22);
    const brokenPromise = !failure && w.chance(0.07);
    const escalation = failure || brokenPromise;
    const f: Friction = {
      failure,
      brokenPromise,
      routing: routingIntents.has(intent),
      transfer: failure ? w.chance(0.6) : w.chance(0.05),
      repeat: w.chance(escalation ? 0.35 : 0.1),
      waitMinutes: w.uniform(0, escalation ? 8 : 4),
    };
    // Escalations go to the top tier 85% of the time; the rest of their day is a few easy calls.
    const agent = escalation ? (w.chance(0.85) ? w.pick(top) : w.pick(rest)) : w.chance(0.05) ? w.pick(top) : w.pick(rest);
    const cost = 0.8 * +!!f.failure + 0.5 * +!!f.transfer + 0.4 * +!!f.repeat + 0.7 * +!!f.brokenPromise + 0.04 * f.waitMinutes!;
    // Fewer than half the customers answer, and single answers are noisy: about 15 answers an agent.
    const score = w.chance(0.42) ? w.answer(4.2 + w.skill.get(agent)! - cost, 0.9) : undefined;
    w.contact({ ...f, agent, intent, day: 7 + (i % 50), score });
  }
  return w.done('friction routed to the best');
}

/**
 * (d) Few answers per agent: 70 agents, each with 10 to 30 contacts of which about one in four is
 * answered, and the better half of the agents taking two in three escalations. Shrinkage carries
 * the ranking here; friction is only moderately routed.
 */
export function fewAnswers(seed = 37): Scenario {
  const w = new World('few', seed);
  const agents = w.agents('AG', 70, () => 0.45 * w.normal());
  const better = [...agents].sort((a, b) => w.skill.get(b)! - w.skill.get(a)!).slice(0, 35);
  const worse = agents.filter((a) => !better.includes(a));
  const load = agents.map(() => 10 + Math.floor(w.random() * 21));
  const total = load.reduce((s, v) => s + v, 0);
  const slots: string[] = agents.flatMap((a, i) => new Array<string>(load[i]!).fill(a));
  for (let i = 0; i < total; i++) {
    const failure = w.chance(0.3);
    const f: Friction = { failure, transfer: failure && w.chance(0.4), repeat: w.chance(0.12), brokenPromise: w.chance(0.06), waitMinutes: w.uniform(0, 5) };
    // Escalations lean to the better half; everyone else's calls follow each agent's load.
    const agent = failure ? (w.chance(2 / 3) ? w.pick(better) : w.pick(worse)) : slots[Math.floor(w.random() * slots.length)]!;
    const cost = 0.7 * +!!f.failure + 0.4 * +!!f.transfer + 0.3 * +!!f.repeat + 0.6 * +!!f.brokenPromise + 0.03 * f.waitMinutes!;
    const score = w.chance(0.25) ? w.answer(4.1 + w.skill.get(agent)! - cost) : undefined;
    w.contact({ ...f, agent, intent: w.pick(INTENTS), day: 3 + (i % 55), score });
  }
  return w.done('few answers per agent');
}

/**
 * (c) Teams with different case mixes and a site effect, written after the estimator was settled
 * and never used to tune it: four teams of seven, each serving one intent (disputes are harder,
 * sales easier), two sites whose customers answer differently (north a third of a point more
 * generously), the disputes team taking most escalations, and tech calls routed by the IVR. Only
 * friction is adjusted for; the case mix and the site are not, and they blur both rankings.
 */
export function teamsAndSites(seed = 53): Scenario {
  const w = new World('teams', seed);
  const teams = [
    { team: 'disputes', intent: 'disputes', site: 'north', intentEffect: -0.5, skillMean: 0.15, failure: 0.45 },
    { team: 'sales', intent: 'orders', site: 'north', intentEffect: 0.2, skillMean: 0, failure: 0.08 },
    { team: 'billing', intent: 'billing', site: 'south', intentEffect: 0, skillMean: 0, failure: 0.15 },
    { team: 'tech', intent: 'tech', site: 'south', intentEffect: -0.1, skillMean: -0.1, failure: 0.2 },
  ];
  const siteEffect: Record<string, number> = { north: 0.3, south: 0 };
  const members = teams.map((t, ti) => w.agents(`T${ti + 1}`, 7, () => t.skillMean + 0.35 * w.normal()));
  for (let i = 0; i < 1500; i++) {
    const ti = Math.floor(w.random() * teams.length);
    const t = teams[ti]!;
    const agent = w.pick(members[ti]!);
    const failure = w.chance(t.failure);
    const f: Friction = {
      failure,
      routing: t.intent === 'tech',
      transfer: failure ? w.chance(0.5) : w.chance(0.05),
      repeat: w.chance(failure ? 0.3 : 0.1),
      brokenPromise: w.chance(t.intent === 'disputes' ? 0.12 : 0.04),
      waitMinutes: w.uniform(0, 6),
    };
    const cost = 0.7 * +!!f.failure + 0.4 * +!!f.transfer + 0.4 * +!!f.repeat + 0.6 * +!!f.brokenPromise + 0.04 * f.waitMinutes!;
    const mean = 4.0 + w.skill.get(agent)! + t.intentEffect + siteEffect[t.site]! - cost;
    w.contact({ ...f, agent, intent: t.intent, day: 3 + (i % 55), score: w.chance(0.6) ? w.answer(mean) : undefined, attrs: { team: t.team } });
  }
  return w.done('teams with different case mixes and a site effect');
}
