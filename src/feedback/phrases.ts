/**
 * Journey facts in words a customer would use: channel names, steps, outcomes, dates and the
 * contacts that followed a failure. Both the dialogue ("We can see your payment failed…") and
 * a case's reason ("Their payment failed…") are written from here, so they always agree.
 */

/** How a channel reads after a verb: "failed on our website". */
const CHANNEL_WORDS: Readonly<Record<string, string>> = {
  web: 'on our website',
  app: 'in our app',
  ivr: 'on our phone line',
  call: 'on a call with us',
  chat: 'in our online chat',
  store: 'in our store',
  email: 'by email',
  sms: 'by text message',
  social: 'on social media',
};

/** What a customer had to do next on an assisted channel: "you then had to call us". */
const CONTACT_VERBS: Readonly<Record<string, string>> = {
  call: 'call us',
  chat: 'chat with us',
  store: 'visit one of our stores',
  ivr: 'call us',
  email: 'email us',
  social: 'message us on social media',
};

/** Steps by their last part (after `intent/`, without a channel prefix) as a noun phrase. */
const STEP_WORDS: Readonly<Record<string, string>> = {
  submit_payment: 'your payment',
  payment: 'your payment',
  pay: 'your payment',
  login: 'signing in',
  sign_in: 'signing in',
  view_bill: 'viewing your bill',
  dispute_form: 'your dispute request',
  review: 'the review of your charges',
  recent_charges: 'checking your recent charges',
  reset_modem: 'the modem reset',
  run_diagnostics: 'the line check',
  troubleshoot: 'troubleshooting',
  outage_check: 'the outage check',
  outage_message: 'the outage information',
  swap_equipment: 'the equipment swap',
  view_plans: 'viewing plans',
  confirm_change: 'your {intent}',
  change: 'your {intent}',
  plan_info: 'the plan information',
  order: 'your order',
  purchase: 'your purchase',
  checkout: 'your checkout',
  menu: 'our phone menu',
  check_usage: 'checking your usage',
  view_usage: 'viewing your usage',
  retention_offer: 'our offer',
  close_account: 'closing your account',
};

const CHANNEL_PREFIX = /^(agent|ivr|chat|store|app|web|call)_/;

function words(s: string): string {
  return s.replace(/[_-]+/g, ' ').trim();
}

/** "pay_bill/submit_payment" → "your payment"; an unknown step → 'the "recent charges" step'. */
export function stepNoun(activity: string, intent?: string | null): string {
  const slash = activity.lastIndexOf('/');
  const step = (slash >= 0 ? activity.slice(slash + 1) : activity).toLowerCase();
  const intentWords = words(intent ?? (slash >= 0 ? activity.slice(0, slash) : '')) || 'request';
  const hit = STEP_WORDS[step] ?? STEP_WORDS[step.replace(CHANNEL_PREFIX, '')];
  if (hit !== undefined) return hit.replace('{intent}', intentWords);
  return `the "${words(step)}" step`;
}

export function channelWords(channel: string): string {
  return CHANNEL_WORDS[channel] ?? (channel === 'other' || channel === '' ? '' : `on ${words(channel)}`);
}

/** Who a phrase speaks about: the customer in a reply ("you"), or in a case note ("they"). */
export type Person = 'you' | 'they';

/** The verb phrase of a failed outcome: "failed", "could not be finished". */
export function outcomeWords(outcome: string, person: Person = 'you'): string {
  const them = person === 'you' ? 'you' : 'them';
  switch (outcome) {
    case 'abandoned':
      return 'could not be finished';
    case 'transferred':
      return `could not help ${them} and passed ${them} on`;
    default:
      return 'failed';
  }
}

const TIMES = ['', 'once', 'twice'];

/** "call us", "call us twice", "call us and then visit one of our stores". */
export function contactWords(contacts: readonly { channel: string }[]): string {
  const runs: { verb: string; count: number }[] = [];
  for (const c of contacts) {
    const verb = CONTACT_VERBS[c.channel] ?? 'contact us again';
    const last = runs[runs.length - 1];
    if (last !== undefined && last.verb === verb) last.count++;
    else runs.push({ verb, count: 1 });
  }
  const parts = runs.slice(0, 3).map((r) => (r.count === 1 ? r.verb : `${r.verb} ${TIMES[r.count] ?? `${r.count} times`}`));
  return parts.join(' and then ');
}

/** "3 June" in the customer's zone, with the year when it is not the year of `reference`. */
export function dayWords(ms: number, timeZone = 'UTC', reference?: number): string {
  const zone = safeZone(timeZone);
  const day = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', timeZone: zone }).format(new Date(ms));
  if (reference === undefined) return day;
  const year = (t: number): string => new Intl.DateTimeFormat('en-GB', { year: 'numeric', timeZone: zone }).format(new Date(t));
  return year(ms) === year(reference) ? day : `${day} ${year(ms)}`;
}

function safeZone(zone: string): string {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: zone });
    return zone;
  } catch {
    return 'UTC';
  }
}

/** Step nouns are written with "your"; a case note speaks of "their" payment. */
export function forPerson(noun: string, person: Person): string {
  return person === 'you' ? noun : noun.replace(/\byour\b/g, 'their');
}

export function capitalise(s: string): string {
  return s.length === 0 ? s : s[0]!.toUpperCase() + s.slice(1);
}
