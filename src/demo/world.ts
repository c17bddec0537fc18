/**
 * The fixed shape of the demo company: what customers come to do, the steps each channel offers
 * for it with their normal failure rates, the planted broken steps and their decoys, the agents
 * and store staff. Only the agents' skills and who takes escalations depend on the seed.
 */
import { Rng } from './random.ts';

export type Channel = 'web' | 'app' | 'ivr' | 'call' | 'chat' | 'store';
export type Intent = 'pay_bill' | 'dispute_charge' | 'tech_support' | 'plan_change' | 'upgrade_device' | 'check_usage' | 'cancel';

export interface StepDef {
  readonly activity: string;
  readonly fail: number;
  readonly abandon: number;
  /** IVR menus hand callers to an agent on purpose: `transferred` is their normal job. */
  readonly transfer: number;
  /** A page anyone can see before logging in: its web event carries the cookie only. */
  readonly anon: boolean;
  /** The step where a web visitor identifies themselves: from here on events carry customer_id. */
  readonly login: boolean;
  /** Typical seconds spent on the step. */
  readonly seconds: number;
}

function step(
  activity: string,
  fail: number,
  abandon: number,
  options: { transfer?: number; anon?: boolean; login?: boolean; seconds?: number } = {},
): StepDef {
  return {
    activity,
    fail,
    abandon,
    transfer: options.transfer ?? 0,
    anon: options.anon ?? false,
    login: options.login ?? false,
    seconds: options.seconds ?? 40,
  };
}

const webLogin = (intent: string): StepDef => step(`${intent}/login`, 0.022, 0.008, { login: true, seconds: 25 });
const appLogin = (intent: string): StepDef => step(`${intent}/login`, 0.015, 0.005, { login: true, seconds: 10 });

/**
 * Step sequences per intent and channel. Failure rates are the normal 1–5% everywhere except the
 * planted broken steps (see BROKEN_STEPS); assisted steps are scaled by the agent's skill.
 */
export const FLOWS: Readonly<Record<Intent, Partial<Record<Channel, readonly StepDef[]>>>> = {
  pay_bill: {
    web: [webLogin('pay_bill'), step('pay_bill/view_bill', 0.008, 0.012), step('pay_bill/submit_payment', 0.3, 0.05, { seconds: 70 })],
    app: [appLogin('pay_bill'), step('pay_bill/view_bill', 0.006, 0.01), step('pay_bill/submit_payment', 0.025, 0.01, { seconds: 45 })],
    ivr: [step('pay_bill/ivr_menu', 0, 0.04, { transfer: 0.33, seconds: 50 }), step('pay_bill/ivr_payment', 0.03, 0.02, { seconds: 120 })],
    call: [step('pay_bill/agent_payment', 0.03, 0, { seconds: 360 })],
    chat: [step('pay_bill/chat_payment', 0.04, 0, { seconds: 420 })],
    store: [step('pay_bill/store_payment', 0.01, 0, { seconds: 300 })],
  },
  dispute_charge: {
    web: [webLogin('dispute_charge'), step('dispute_charge/view_bill', 0.008, 0.012), step('dispute_charge/dispute_form', 0.04, 0.04, { seconds: 180 })],
    app: [appLogin('dispute_charge'), step('dispute_charge/view_bill', 0.006, 0.01), step('dispute_charge/dispute_form', 0.03, 0.03, { seconds: 150 })],
    ivr: [step('dispute_charge/ivr_menu', 0, 0.04, { transfer: 0.42, seconds: 60 }), step('dispute_charge/ivr_recent_charges', 0.02, 0.03, { seconds: 90 })],
    call: [step('dispute_charge/agent_review', 0.07, 0, { seconds: 600 })],
    chat: [step('dispute_charge/chat_review', 0.09, 0, { seconds: 720 })],
    store: [step('dispute_charge/store_review', 0.05, 0, { seconds: 600 })],
  },
  tech_support: {
    web: [step('tech_support/outage_check', 0.01, 0.02, { anon: true, seconds: 30 }), webLogin('tech_support'), step('tech_support/troubleshoot', 0.05, 0.04, { seconds: 240 })],
    app: [step('tech_support/run_diagnostics', 0.02, 0.02, { seconds: 90 }), step('tech_support/reset_modem', 0.27, 0.03, { seconds: 180 })],
    ivr: [step('tech_support/ivr_menu', 0, 0.04, { transfer: 0.4, seconds: 55 }), step('tech_support/ivr_outage_message', 0.03, 0.03, { seconds: 60 })],
    call: [step('tech_support/agent_troubleshoot', 0.09, 0, { seconds: 900 })],
    chat: [step('tech_support/chat_troubleshoot', 0.11, 0, { seconds: 840 })],
    store: [step('tech_support/store_swap_equipment', 0.03, 0, { seconds: 900 })],
  },
  plan_change: {
    web: [webLogin('plan_change'), step('plan_change/view_plans', 0.01, 0.03, { seconds: 120 }), step('plan_change/confirm_change', 0.22, 0.03, { seconds: 60 })],
    app: [step('plan_change/view_plans', 0.01, 0.02, { seconds: 90 }), step('plan_change/confirm_change', 0.025, 0.01, { seconds: 40 })],
    ivr: [step('plan_change/ivr_menu', 0, 0.04, { transfer: 0.38, seconds: 50 }), step('plan_change/ivr_plan_info', 0.02, 0.03, { seconds: 80 })],
    call: [step('plan_change/agent_change', 0.03, 0, { seconds: 540 })],
    chat: [step('plan_change/chat_change', 0.05, 0, { seconds: 600 })],
    store: [step('plan_change/store_change', 0.02, 0, { seconds: 900 })],
  },
  upgrade_device: {
    web: [
      step('upgrade_device/browse_devices', 0.005, 0.02, { anon: true, seconds: 150 }),
      step('upgrade_device/compare_devices', 0.005, 0.03, { anon: true, seconds: 200 }),
      webLogin('upgrade_device'),
      step('upgrade_device/checkout', 0.04, 0.04, { seconds: 240 }),
    ],
    app: [step('upgrade_device/browse_devices', 0.005, 0.02, { seconds: 120 }), step('upgrade_device/checkout', 0.035, 0.03, { seconds: 200 })],
    call: [step('upgrade_device/agent_order', 0.04, 0, { seconds: 780 })],
    chat: [step('upgrade_device/chat_order', 0.05, 0, { seconds: 900 })],
    store: [step('upgrade_device/store_purchase', 0.03, 0, { seconds: 1500 })],
  },
  check_usage: {
    web: [webLogin('check_usage'), step('check_usage/view_usage', 0.01, 0.01, { seconds: 45 })],
    app: [step('check_usage/view_usage', 0.008, 0.005, { seconds: 30 })],
  },
  cancel: {
    call: [step('cancel/retention_offer', 0, 0, { seconds: 420 }), step('cancel/close_account', 0, 0, { seconds: 300 })],
    store: [step('cancel/close_account', 0, 0, { seconds: 900 })],
  },
};

/** How often customers come for each intent (cancel is not drawn: only churners cancel). */
export const INTENT_WEIGHTS: readonly (readonly [Intent, number])[] = [
  ['pay_bill', 0.27],
  ['check_usage', 0.17],
  ['tech_support', 0.18],
  ['plan_change', 0.12],
  ['upgrade_device', 0.15],
  ['dispute_charge', 0.11],
];

export const TEAM_FOR_INTENT: Readonly<Record<Intent, Team>> = {
  pay_bill: 'billing',
  dispute_charge: 'billing',
  plan_change: 'billing',
  check_usage: 'billing',
  tech_support: 'tech',
  upgrade_device: 'retention',
  cancel: 'retention',
};

export interface PlantedStep {
  readonly channel: Channel;
  readonly activity: string;
  /** Planted rate of failed outcomes (failure + abandoned). */
  readonly failure_rate: number;
  readonly story: string;
}

/** The steps that are really broken. Their rates are the FLOWS rates; listed here for the truth. */
export const BROKEN_STEPS: readonly PlantedStep[] = [
  { channel: 'web', activity: 'pay_bill/submit_payment', failure_rate: 0.35, story: 'the web payment page errors out; customers phone in to pay' },
  { channel: 'app', activity: 'tech_support/reset_modem', failure_rate: 0.3, story: 'the app modem reset times out; customers call tech support' },
  { channel: 'web', activity: 'plan_change/confirm_change', failure_rate: 0.25, story: 'the web plan-change confirmation fails; customers call or visit a store' },
];

export interface DecoyStep {
  readonly channel: Channel;
  readonly activity: string;
  readonly failure_rate: number;
  readonly why: string;
}

/** Steps that look alarming on one measure but are not broken. */
export const DECOY_STEPS: readonly DecoyStep[] = [
  { channel: 'web', activity: 'pay_bill/login', failure_rate: 0.03, why: 'very high volume, normal failure rate' },
  { channel: 'app', activity: 'pay_bill/submit_payment', failure_rate: 0.035, why: 'same step as the broken web one, working normally in the app' },
  { channel: 'ivr', activity: 'pay_bill/ivr_menu', failure_rate: 0.37, why: 'transfers to an agent by design (33%), plus normal hang-ups' },
  { channel: 'ivr', activity: 'tech_support/ivr_menu', failure_rate: 0.44, why: 'transfers to an agent by design (40%), plus normal hang-ups' },
];

export type Team = 'billing' | 'tech' | 'retention' | 'stores';

export interface Agent {
  readonly agent_id: string;
  readonly name: string;
  readonly team: Team;
  readonly kind: 'agent' | 'store';
  readonly skill: number;
  /** Senior agents who are routed the escalations. */
  readonly escalation: boolean;
  readonly rude: boolean;
  /** Stores only: which store the person works at (0-based). */
  readonly store: number;
}

const AGENT_NAMES = [
  'Maya', 'Daniel', 'Priya', 'Marcus', 'Elena', 'Tom', 'Aisha', 'Kevin', 'Sofia', 'Jamal',
  'Hannah', 'Luis', 'Grace', 'Omar', 'Rachel', 'Victor', 'Nina', 'Carlos', 'Beth', 'Andre',
];
const STAFF_NAMES = ['Lena', 'Greg', 'Tasha', 'Rick', 'Molly', 'Sam', 'Derek', 'Joy'];
export const STORES = ['Downtown', 'Riverside Mall', 'Northgate', 'Airport Plaza'] as const;
export const RUDE_STAFF = ['ST-04', 'ST-07'] as const;

const TEAMS: readonly { team: Team; count: number; seniors: number }[] = [
  { team: 'billing', count: 8, seniors: 2 },
  { team: 'tech', count: 7, seniors: 2 },
  { team: 'retention', count: 5, seniors: 1 },
];

export interface Staffing {
  readonly agents: readonly Agent[];
  readonly byTeam: Readonly<Record<Team, { seniors: readonly Agent[]; others: readonly Agent[] }>>;
  readonly storeStaff: readonly (readonly Agent[])[];
}

/**
 * Seniors are the most skilled agents of their team by construction (0.82–0.95 against 0.25–0.75),
 * so "the escalation agents are the best ones" holds for every seed, not just on average.
 */
export function createStaffing(seed: number): Staffing {
  const rng = new Rng(seed, 'staffing');
  const agents: Agent[] = [];
  const byTeam = {} as Record<Team, { seniors: Agent[]; others: Agent[] }>;
  let n = 0;
  for (const { team, count, seniors } of TEAMS) {
    const slots = rng.shuffle(Array.from({ length: count }, (_, i) => i < seniors));
    const group = { seniors: [] as Agent[], others: [] as Agent[] };
    for (const senior of slots) {
      n++;
      const agent: Agent = {
        agent_id: `AG-${String(n).padStart(2, '0')}`,
        name: AGENT_NAMES[n - 1] ?? `Agent${n}`,
        team,
        kind: 'agent',
        skill: round3(senior ? rng.uniform(0.82, 0.95) : rng.uniform(0.25, 0.75)),
        escalation: senior,
        rude: false,
        store: -1,
      };
      agents.push(agent);
      (senior ? group.seniors : group.others).push(agent);
    }
    byTeam[team] = group;
  }
  const storeStaff: Agent[][] = STORES.map(() => []);
  for (let i = 1; i <= 8; i++) {
    const id = `ST-${String(i).padStart(2, '0')}`;
    const rude = (RUDE_STAFF as readonly string[]).includes(id);
    const store = Math.floor((i - 1) / 2);
    const agent: Agent = {
      agent_id: id,
      name: STAFF_NAMES[i - 1] ?? `Staff${i}`,
      team: 'stores',
      kind: 'store',
      skill: round3(rude ? rng.uniform(0.1, 0.2) : rng.uniform(0.55, 0.9)),
      escalation: false,
      rude,
      store,
    };
    agents.push(agent);
    storeStaff[store]?.push(agent);
  }
  byTeam.stores = { seniors: [], others: agents.filter((a) => a.kind === 'store') };
  return { agents, byTeam, storeStaff };
}

export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export const PRODUCTS = ['mobile_plan', 'home_internet', 'credit_card', 'device_protection', 'tv'] as const;
export type Product = (typeof PRODUCTS)[number];
/** Share of customers who hold each product at the start. */
export const PRODUCT_RATES: Readonly<Record<Product, number>> = {
  mobile_plan: 0.9,
  home_internet: 0.55,
  credit_card: 0.12,
  device_protection: 0.3,
  tv: 0.2,
};

export type PromiseKind = 'callback' | 'credit' | 'refund' | 'repair' | 'delivery';
export const PROMISE_KINDS: readonly PromiseKind[] = ['callback', 'credit', 'refund', 'repair', 'delivery'];
/** Planted chance that a promise is not kept by its due time. */
export const PROMISE_BREAK_RATES: Readonly<Record<PromiseKind, number>> = {
  callback: 0.08,
  credit: 0.4,
  refund: 0.08,
  repair: 0.08,
  delivery: 0.08,
};
/** Days from making a promise to its due time, [min, max]. */
export const PROMISE_DUE_DAYS: Readonly<Record<PromiseKind, readonly [number, number]>> = {
  callback: [0.2, 2],
  credit: [3, 7],
  refund: [5, 10],
  repair: [1, 4],
  delivery: [2, 5],
};

export const SEGMENTS: readonly (readonly [string, number])[] = [
  ['consumer', 0.68],
  ['premium', 0.15],
  ['small_business', 0.11],
  ['youth', 0.06],
];

export const FIRST_NAMES = [
  'James', 'Mary', 'Robert', 'Patricia', 'John', 'Jennifer', 'Michael', 'Linda', 'David', 'Elizabeth',
  'William', 'Barbara', 'Richard', 'Susan', 'Joseph', 'Jessica', 'Thomas', 'Sarah', 'Carlos', 'Karen',
  'Wei', 'Nancy', 'Mohammed', 'Lisa', 'Anthony', 'Betty', 'Mark', 'Sandra', 'Jose', 'Ashley',
  'Steven', 'Kimberly', 'Andrew', 'Emily', 'Joshua', 'Donna', 'Kenji', 'Michelle', 'Brian', 'Carol',
  'Darnell', 'Amanda', 'Ravi', 'Melissa', 'Jorge', 'Deborah', 'Tyrone', 'Stephanie', 'Ming', 'Rebecca',
  'Ahmed', 'Laura', 'Diego', 'Fatima', 'Ivan', 'Chloe', 'Noah', 'Zoe', 'Liam', 'Ana',
];
export const LAST_NAMES = [
  'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez',
  'Hernandez', 'Lopez', 'Gonzalez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin',
  'Lee', 'Perez', 'Thompson', 'White', 'Harris', 'Sanchez', 'Clark', 'Ramirez', 'Lewis', 'Robinson',
  'Walker', 'Young', 'Allen', 'King', 'Wright', 'Scott', 'Torres', 'Nguyen', 'Hill', 'Flores',
  "O'Brien", "O'Connor", 'Kim', 'Patel', 'Chen', 'Wang', 'Singh', 'Cohen', 'Murphy', 'Rivera',
  'Cooper', 'Reed', 'Bailey', 'Bell', 'Gomez', 'Kelly', 'Howard', 'Ward', 'Cox', 'Diaz',
];
export const EMAIL_DOMAINS = ['gmail.com', 'yahoo.com', 'outlook.com', 'icloud.com', 'aol.com', 'hotmail.com', 'comcast.net'];
