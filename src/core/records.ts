/**
 * The record kinds of the data contract (spec/DATA.md) as the rest of the product sees them:
 * validated, identifiers normalised, timestamps as UTC epoch milliseconds.
 */
export const KINDS = ['profiles', 'interactions', 'feedback', 'holdings', 'promises', 'consents', 'messages', 'staff', 'employee_feedback'] as const;
export type Kind = (typeof KINDS)[number];
/**
 * Kinds about the company's employees, not its customers: they carry no customer identifiers,
 * take no part in identity stitching and have no customer key (docs/teams.md).
 */
export const EMPLOYEE_KINDS: ReadonlySet<Kind> = new Set(['staff', 'employee_feedback']);
/** The kinds whose records name a customer. */
export const CUSTOMER_KINDS: readonly Kind[] = KINDS.filter((k) => !EMPLOYEE_KINDS.has(k));

export const IDENTIFIER_TYPES = ['customer_id', 'account_id', 'phone', 'email', 'device_id', 'cookie_id'] as const;
export type IdentifierType = (typeof IDENTIFIER_TYPES)[number];
export const STRONG_IDENTIFIERS: ReadonlySet<IdentifierType> = new Set(['customer_id', 'account_id']);

export interface Identifier {
  readonly type: IdentifierType;
  readonly value: string;
}

/** Normalised identifier values of one record; absent ones are null. */
export type Identifiers = { [K in IdentifierType]: string | null };

export const CHANNELS = ['web', 'app', 'ivr', 'call', 'chat', 'store', 'email', 'sms', 'social', 'other'] as const;
export const OUTCOMES = ['success', 'failure', 'abandoned', 'transferred'] as const;
export type Outcome = (typeof OUTCOMES)[number];
/** The outcomes that mean a step did not do its job. */
export const FAILED_OUTCOMES: ReadonlySet<string> = new Set(['failure', 'abandoned', 'transferred']);
/** Channels where a person served the customer: contacts that cost the company money. */
export const ASSISTED_CHANNELS: ReadonlySet<string> = new Set(['call', 'chat', 'store']);
export const DIGITAL_CHANNELS: ReadonlySet<string> = new Set(['web', 'app', 'ivr']);

export const METRICS = { nps: [0, 10], csat: [1, 5], ces: [1, 7] } as const;
export type Metric = keyof typeof METRICS;
export type Scope = 'relationship' | 'transaction';

/** Attributes: unknown input columns, kept as they came. */
export type Attributes = Record<string, unknown>;

interface Base {
  readonly ids: Identifiers;
  readonly attrs: Attributes;
  /** 1-based line in the source file, for messages. */
  readonly line: number;
}

export interface Interaction extends Base {
  readonly event_id: string;
  readonly ts: number;
  readonly channel: string;
  readonly activity: string;
  readonly outcome: string | null;
  readonly direction: 'inbound' | 'outbound';
  readonly agent_id: string | null;
  readonly intent: string;
  readonly journey_id: string | null;
  readonly duration_s: number | null;
  readonly wait_s: number | null;
  readonly text: string | null;
}

export interface Feedback extends Base {
  readonly response_id: string;
  readonly ts: number;
  readonly survey_id: string;
  readonly metric: Metric;
  readonly scope: Scope;
  readonly score: number;
  readonly comment: string | null;
  readonly event_id: string | null;
  readonly agent_id: string | null;
}

export interface Profile extends Base {
  /** A profile has no id column of its own: the identifiers are its key. */
  readonly profile_id: string;
}

export interface Holding extends Base {
  readonly holding_id: string;
  readonly product: string;
  readonly since: number | null;
  readonly until: number | null;
}

export interface Promise_ extends Base {
  readonly promise_id: string;
  readonly ts: number;
  readonly due: number;
  readonly kind: string;
  readonly agent_id: string | null;
  readonly event_id: string | null;
  readonly description: string | null;
  readonly kept_at: number | null;
}

export interface Consent extends Base {
  readonly consent_id: string;
  readonly channel: string;
  readonly status: 'grant' | 'deny';
  readonly ts: number | null;
  readonly timezone: string | null;
  readonly quiet_start: string | null;
  readonly quiet_end: string | null;
}

export const SPEAKERS = ['customer', 'agent', 'bot', 'system'] as const;
export type Speaker = (typeof SPEAKERS)[number];

/** What someone wrote or said (a chat turn, a transcript line, an email, a post, a review). */
export interface Message extends Base {
  readonly message_id: string;
  readonly ts: number;
  readonly speaker: Speaker;
  readonly text: string;
  readonly conversation_id: string | null;
  readonly channel: string | null;
  readonly agent_id: string | null;
  readonly event_id: string | null;
  readonly in_reply_to: string | null;
}

/** One row of the staff directory: `employee_id` is the `agent_id` of the other kinds. */
export interface Staff extends Base {
  readonly employee_id: string;
  readonly name: string | null;
  readonly team: string | null;
  readonly site: string | null;
  readonly manager_id: string | null;
  readonly role: string | null;
  readonly since: number | null;
  readonly until: number | null;
}

export const EMPLOYEE_METRICS = { enps: [0, 10], engagement: [1, 5] } as const;
export type EmployeeMetric = keyof typeof EMPLOYEE_METRICS;

/** One employee survey answer; `employee_id` is confidential and never shown. */
export interface EmployeeFeedback extends Base {
  readonly response_id: string;
  readonly ts: number;
  readonly survey_id: string;
  readonly metric: EmployeeMetric;
  readonly score: number;
  readonly team: string;
  readonly employee_id: string | null;
  readonly comment: string | null;
}

export interface RecordOfKind {
  profiles: Profile;
  interactions: Interaction;
  feedback: Feedback;
  holdings: Holding;
  promises: Promise_;
  consents: Consent;
  messages: Message;
  staff: Staff;
  employee_feedback: EmployeeFeedback;
}
