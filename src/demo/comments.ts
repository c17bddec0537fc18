/**
 * Survey comments and agent notes from templates. The words match both the score and the cause
 * that produced it, so text analytics over the comments finds the same drivers the numbers do.
 */
import type { Rng } from './random.ts';

export type Cause =
  | 'web_payment'
  | 'app_modem'
  | 'web_plan_change'
  | 'credit_promise'
  | 'other_promise'
  | 'rude_staff'
  | 'wait'
  | 'failure'
  | 'price_network'
  | 'agent_praise'
  | 'store_praise'
  | 'easy'
  | 'general';

const NEGATIVE: Readonly<Record<Cause, readonly string[]>> = {
  web_payment: [
    'The website kept failing when I tried to pay my bill, so I ended up calling.',
    'Payment page gave me an error twice. Why can I not just pay online?',
    'Tried to pay online, got "something went wrong", had to phone in and wait.',
  ],
  app_modem: [
    'The modem reset in the app never works, I always have to call tech support.',
    'App said it would reset my modem, it just spun and timed out.',
    'Internet kept dropping and the app reset button does nothing.',
  ],
  web_plan_change: [
    'Could not change my plan on the website, it failed at the last step.',
    'Plan change online errored out, had to go to a store to get it done.',
  ],
  credit_promise: [
    'I was promised a credit on my bill and it never showed up.',
    'Still waiting for the credit the agent promised, "within 5 days" they said. That was weeks ago.',
    'They said the overcharge would be credited. It was not. I had to call again.',
  ],
  other_promise: [
    'Nobody called me back like they promised.',
    'The technician never showed up for the appointment.',
    'Was told it would be sorted by now, it is not.',
  ],
  rude_staff: [
    'The staff at the store were rude and dismissive.',
    'Store employee was condescending and did not want to help, very unpleasant.',
    'Worst store visit ever, the guy at the counter was rude.',
  ],
  wait: [
    'Waited on hold for ages before anyone picked up.',
    'Long wait time, too long just to get a simple answer.',
  ],
  failure: [
    'Took several tries to get anything done.',
    'Had to contact you twice for the same thing.',
    'Problem still not fixed.',
  ],
  price_network: [
    'Your staff are always friendly, but the price keeps going up and coverage at home is poor.',
    'Service reps are nice, I just pay too much for a signal that drops all the time.',
    'Nothing wrong with support, but I am looking at other providers, the bill is too high.',
  ],
  agent_praise: [],
  store_praise: [],
  easy: [],
  general: [
    'Bills are confusing and keep creeping up.',
    'Not impressed overall.',
    'Too expensive for what you get.',
  ],
};

const POSITIVE: readonly string[] = [
  'Quick and easy, thanks!',
  'Everything worked the way it should.',
  'Great service, no complaints.',
  'Simple, fast, done in a couple of minutes.',
  'Happy with the service overall.',
];

const PRAISE: readonly string[] = [
  '{name} was fantastic and sorted it out quickly.',
  'Thank you {name}, very patient and helpful.',
  '{name} knew exactly what to do, great agent.',
  'Really helpful, {name} went above and beyond.',
];

const STORE_PRAISE: readonly string[] = [
  '{name} at the store was really helpful.',
  'Great experience in store, {name} explained everything.',
];

const NEUTRAL: readonly string[] = ['It was okay.', 'Fine, nothing special.', 'Got there in the end.', 'Average experience.'];

/** A comment for a score on a 0–1 scale (0 worst), about a cause, maybe naming an employee. */
export function comment(rng: Rng, cause: Cause, goodness: number, employeeName: string | null): string {
  if (goodness >= 0.75) {
    if (employeeName !== null && (cause === 'agent_praise' || rng.chance(0.5))) {
      const templates = cause === 'store_praise' ? STORE_PRAISE : PRAISE;
      return rng.pick(templates).replaceAll('{name}', employeeName);
    }
    if (cause === 'price_network') return rng.pick(NEGATIVE.price_network);
    return rng.pick(POSITIVE);
  }
  if (goodness >= 0.55 && cause !== 'price_network') return rng.pick(NEUTRAL);
  const templates = NEGATIVE[cause];
  return templates.length > 0 ? rng.pick(templates) : rng.pick(NEGATIVE.general);
}

const CALL_NOTES: Readonly<Record<string, readonly string[]>> = {
  'pay_bill/agent_payment': [
    'Took card payment over the phone.',
    'Customer could not pay online, "error on payment page". Took payment, ref #{ref}.',
  ],
  'dispute_charge/agent_review': [
    'Reviewed charges with customer, explained roaming fee.',
    'Customer disputes a double charge of $24.99, escalated for credit.',
  ],
  'tech_support/agent_troubleshoot': [
    'Remote reset of modem, line test OK.',
    'Intermittent drops, signal levels low, booked technician.',
    'Walked customer through router reboot, issue resolved.',
  ],
  'plan_change/agent_change': ['Moved customer to Unlimited Plus, effective next cycle.', 'Changed plan, customer said website "would not let me".'],
  'upgrade_device/agent_order': ['Ordered new handset, shipping 2-3 days.', 'Upgrade order placed, trade-in quoted at $120.'],
  'cancel/retention_offer': ['Offered 20% discount for 12 months, customer declined.', 'Retention offer declined, customer moving to competitor.'],
  'cancel/close_account': ['Account closed at customer request.', 'Closed account, final bill to follow, equipment return label sent.'],
};

const CHAT_OPENERS: Readonly<Record<string, string>> = {
  pay_bill: 'I cannot pay my bill on the site',
  dispute_charge: 'There is a charge on my bill I do not recognise',
  tech_support: 'My internet keeps dropping, modem reset does not help',
  plan_change: 'I want to change my plan',
  upgrade_device: 'Can I upgrade my phone early?',
};

const CHAT_REPLIES = [
  'Happy to help, let me check your account.',
  'Thanks for waiting, I can see the issue on our side.',
  'Sorry about that! Let me take a look.',
  "I'll sort that out for you now, one moment.",
];
const CHAT_GOOD_CLOSES = ['great, thanks', 'perfect, that worked', 'ok thank you!', 'thanks, appreciate it'];
const CHAT_BAD_CLOSES = ['that did not help, I will call instead', 'still not working', 'this is taking forever, forget it'];

/** Agent notes on calls and chat transcripts (with line breaks) for chats. */
export function agentNote(rng: Rng, channel: string, activity: string, intent: string, agentName: string, succeeded: boolean): string {
  if (channel === 'chat') {
    const opener = CHAT_OPENERS[intent] ?? 'I need some help';
    const reply = rng.pick(CHAT_REPLIES);
    const close = rng.pick(succeeded ? CHAT_GOOD_CLOSES : CHAT_BAD_CLOSES);
    return `Customer: ${opener}\nAgent (${agentName}): ${reply}\nCustomer: ${close}`;
  }
  const notes = CALL_NOTES[activity];
  if (notes === undefined || !rng.chance(0.7)) return '';
  const note = rng.pick(notes).replace('{ref}', String(rng.int(100000, 999999)));
  return succeeded ? note : `${note} Not resolved, customer unhappy.`;
}

export const PROMISE_DESCRIPTIONS: Readonly<Record<string, readonly string[]>> = {
  callback: ['Call customer back with an update', 'Supervisor to call back, re: billing question'],
  credit: ['Credit of $25.00 for double charge, to appear on next bill', 'Credit overcharge of $14.99 to account', 'Courtesy credit, $10.00, for service outage'],
  refund: ['Refund late fee of $7.50', 'Refund duplicate payment to card'],
  repair: ['Technician visit to check line, window 8-12', 'Replace faulty modem on site'],
  delivery: ['Deliver new handset, tracking by email', 'Ship replacement router'],
};
