/**
 * Survey definitions (docs/feedback.md, "Survey definitions"): JSON a CX team writes, validated
 * here with every problem named by its path and reason. A definition that would let a survey
 * answer an unhappy customer with a generic "sorry to hear" and move on is rejected.
 */
import { AppError } from '../core/errors.ts';

export const SURVEY_TYPES = ['relationship', 'transaction'] as const;
export type SurveyType = (typeof SURVEY_TYPES)[number];
export const QUESTION_KINDS = ['nps', 'csat', 'ces', 'choice', 'text'] as const;
export type QuestionKind = (typeof QUESTION_KINDS)[number];
export type ScoreKind = 'nps' | 'csat' | 'ces';

export const SCALES: Readonly<Record<ScoreKind, readonly [number, number]>> = { nps: [0, 10], csat: [1, 5], ces: [1, 7] };

/** Named score bands, usable in `when` instead of `{min, max}`. */
export const BANDS: Readonly<Record<ScoreKind, Readonly<Record<string, readonly [number, number]>>>> = {
  nps: { detractor: [0, 6], passive: [7, 8], promoter: [9, 10] },
  csat: { unsatisfied: [1, 2], neutral: [3, 3], satisfied: [4, 5] },
  ces: { difficult: [1, 3], neutral: [4, 4], easy: [5, 7] },
};

/** The scores that mean an unhappy customer: a branch covering any of them must close the loop. */
export const UNHAPPY: Readonly<Record<ScoreKind, number>> = { nps: 6, csat: 2, ces: 3 };

export type Action = { type: 'open_case' } | { type: 'offer_callback' } | { type: 'webhook'; url: string };

export interface Branch {
  when: { min: number; max: number };
  /** A message template; absent, the built-in reply for the band is used. */
  message: string | null;
  actions: Action[];
  /** A later question's id, or `end`; absent, the next question in order. */
  next: string | null;
}

export interface Question {
  id: string;
  kind: QuestionKind;
  text: string;
  choices: string[];
  branches: Branch[];
  next: string | null;
}

export interface ContactRules {
  /** No survey of any kind to the same customer within this many days. */
  cooldown_days: number;
  /** At most `count` surveys per `days`, across all surveys. */
  max_per_period: { count: number; days: number } | null;
  /** Never survey a customer while they have an open case. */
  skip_if_open_case: boolean;
}

export interface StaffEntry {
  id: string;
  name: string;
  team: string;
  store: string | null;
}

export interface SurveyDefinition {
  id: string;
  name: string;
  type: SurveyType;
  company: string;
  questions: Question[];
  contact_rules: ContactRules;
  staff: StaffEntry[];
  link_expiry_hours: number;
  closing_message: string;
  /**
   * Whether its answers open closed-loop cases (default true). False for a feed that is not a
   * detractor inbox, such as product reviews: its answers count everywhere but open no case.
   */
  opens_cases: boolean;
}

export const PLACEHOLDERS = [
  'first_name',
  'company',
  'score',
  'failed_step',
  'failed_step_phrase',
  'failed_channel',
  'failed_at_date',
  'followup_phrase',
  'what_went_wrong',
  'apology',
  'agent_name',
  'callback_offer',
] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

export const DEFAULT_CONTACT_RULES: ContactRules = Object.freeze({ cooldown_days: 30, max_per_period: { count: 3, days: 90 }, skip_if_open_case: true });

export interface Problem {
  path: string;
  reason: string;
}

/** A definition that is not valid: every problem, each with its JSON path. */
export class SurveyDefinitionError extends AppError {
  readonly problems: readonly Problem[];
  constructor(problems: readonly Problem[], source: string) {
    super('input', `survey definition${source === '' ? '' : ` ${source}`} is not valid: ${problems.map((p) => `${p.path}: ${p.reason}`).join('; ')}`, {
      hint: 'see docs/feedback.md, "Survey definitions"',
    });
    this.name = 'SurveyDefinitionError';
    this.problems = problems;
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

const TOP_KEYS = ['id', 'name', 'type', 'company', 'questions', 'contact_rules', 'staff', 'link_expiry_hours', 'closing_message', 'opens_cases'];
const QUESTION_KEYS = ['id', 'kind', 'text', 'choices', 'branches', 'next'];
const BRANCH_KEYS = ['when', 'message', 'actions', 'next'];

/**
 * Validates a parsed JSON value and returns the definition with defaults filled in, or throws.
 * A definition this returned validates again unchanged (the store re-checks what it is handed).
 */
export function validateSurvey(input: unknown, source = ''): SurveyDefinition {
  const problems: Problem[] = [];
  const bad = (path: string, reason: string): void => void problems.push({ path, reason });
  if (!isObj(input)) throw new SurveyDefinitionError([{ path: '$', reason: 'must be a JSON object' }], source);
  unknownKeys(input, TOP_KEYS, '$', bad);

  const id = typeof input.id === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(input.id) ? input.id : null;
  if (id === null) bad('$.id', 'must be 1–64 letters, digits, "_", "-" or "."');
  const type = SURVEY_TYPES.find((t) => t === input.type) ?? null;
  if (type === null) bad('$.type', `must be ${SURVEY_TYPES.join(' or ')}`);
  const name = optionalString(input, 'name', '$', bad) ?? id ?? '';
  const company = optionalString(input, 'company', '$', bad) ?? 'us';
  const closing = optionalString(input, 'closing_message', '$', bad) ?? 'Thank you for your answers.';
  checkTemplate(closing, '$.closing_message', bad);

  let expiry = 72;
  if (input.link_expiry_hours !== undefined) {
    if (typeof input.link_expiry_hours !== 'number' || !(input.link_expiry_hours > 0) || input.link_expiry_hours > 24 * 90) {
      bad('$.link_expiry_hours', 'must be a number of hours above 0 and at most 2160 (90 days)');
    } else expiry = input.link_expiry_hours;
  }

  if (input.opens_cases !== undefined && typeof input.opens_cases !== 'boolean') bad('$.opens_cases', 'must be true or false');
  const opensCases = input.opens_cases !== false;

  const questions: Question[] = [];
  if (!Array.isArray(input.questions) || input.questions.length === 0) bad('$.questions', 'must be a non-empty array of questions');
  else input.questions.forEach((q, i) => questions.push(validateQuestion(q, `$.questions[${i}]`, bad)));
  const ids = new Map<string, number>();
  questions.forEach((q, i) => {
    if (q.id === '') return;
    if (ids.has(q.id)) bad(`$.questions[${i}].id`, `"${q.id}" is also the id of question ${ids.get(q.id)}`);
    else ids.set(q.id, i);
  });
  // Jumps go forward only, so no definition can trap a customer in a loop.
  const checkNext = (next: string | null, from: number, path: string): void => {
    if (next === null || next === 'end') return;
    const to = ids.get(next);
    if (to === undefined) bad(path, `names no question ("${next}"); use a question id or "end"`);
    else if (to <= from) bad(path, `"${next}" is not after this question; jumps go forward only`);
  };
  questions.forEach((q, i) => {
    checkNext(q.next, i, `$.questions[${i}].next`);
    q.branches.forEach((b, j) => checkNext(b.next, i, `$.questions[${i}].branches[${j}].next`));
  });
  if (type !== null && questions.length > 0 && !questions.some((q) => q.kind === 'nps' || q.kind === 'csat' || q.kind === 'ces')) {
    bad('$.questions', 'must include at least one nps, csat or ces question');
  }

  const rules = validateRules(input.contact_rules, bad);
  const staff = validateStaff(input.staff, bad);
  if (problems.length > 0) throw new SurveyDefinitionError(problems, source);
  return { id: id!, name, type: type!, company, questions, contact_rules: rules, staff, link_expiry_hours: expiry, closing_message: closing, opens_cases: opensCases };
}

/** Reads JSON text and validates it; a JSON syntax error is reported like any other problem. */
export function parseSurvey(text: string, source = ''): SurveyDefinition {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new SurveyDefinitionError([{ path: '$', reason: `is not JSON (${(e as Error).message})` }], source);
  }
  return validateSurvey(value, source);
}

function unknownKeys(o: Obj, known: readonly string[], path: string, bad: (p: string, r: string) => void): void {
  for (const k of Object.keys(o)) if (!known.includes(k)) bad(`${path}.${k}`, `is not a known field (known: ${known.join(', ')})`);
}

function optionalString(o: Obj, key: string, path: string, bad: (p: string, r: string) => void): string | null {
  const v = o[key];
  if (v === undefined) return null;
  if (typeof v !== 'string' || v.trim() === '') {
    bad(`${path}.${key}`, 'must be a non-empty string');
    return null;
  }
  return v;
}

const isScoreKind = (k: QuestionKind): k is ScoreKind => k === 'nps' || k === 'csat' || k === 'ces';

function validateQuestion(q: unknown, path: string, bad: (p: string, r: string) => void): Question {
  const out: Question = { id: '', kind: 'text', text: '', choices: [], branches: [], next: null };
  if (!isObj(q)) {
    bad(path, 'must be an object');
    return out;
  }
  unknownKeys(q, QUESTION_KEYS, path, bad);
  if (typeof q.id !== 'string' || !/^[A-Za-z0-9_-]{1,40}$/.test(q.id) || q.id === 'end') bad(`${path}.id`, 'must be 1–40 letters, digits, "_" or "-" (and not "end")');
  else out.id = q.id;
  const kind = QUESTION_KINDS.find((k) => k === q.kind);
  if (kind === undefined) bad(`${path}.kind`, `must be one of ${QUESTION_KINDS.join(', ')}`);
  else out.kind = kind;
  if (typeof q.text !== 'string' || q.text.trim() === '') bad(`${path}.text`, 'must be the question as the customer reads it');
  else {
    out.text = q.text;
    checkTemplate(q.text, `${path}.text`, bad);
  }
  if (q.next !== undefined && q.next !== null) {
    if (typeof q.next !== 'string') bad(`${path}.next`, 'must be a question id or "end"');
    else out.next = q.next;
  }
  if (kind === 'choice') {
    if (!Array.isArray(q.choices) || q.choices.length < 2 || !q.choices.every((c) => typeof c === 'string' && c.trim() !== '')) {
      bad(`${path}.choices`, 'a choice question needs at least two non-empty choices');
    } else out.choices = q.choices as string[];
  } else if (q.choices !== undefined && !(Array.isArray(q.choices) && q.choices.length === 0)) bad(`${path}.choices`, 'only a choice question has choices');

  if (q.branches !== undefined && !(Array.isArray(q.branches) && q.branches.length === 0)) {
    if (kind !== undefined && !isScoreKind(kind)) bad(`${path}.branches`, 'only nps, csat and ces questions branch on the score');
    else if (!Array.isArray(q.branches)) bad(`${path}.branches`, 'must be an array');
    else if (kind !== undefined) {
      q.branches.forEach((b, j) => {
        const branch = validateBranch(b, kind, `${path}.branches[${j}]`, bad);
        if (branch === null) return;
        const clash = out.branches.findIndex((o) => o.when.min <= branch.when.max && branch.when.min <= o.when.max);
        if (clash >= 0) bad(`${path}.branches[${j}].when`, `overlaps branches[${clash}]; each score takes one branch`);
        out.branches.push(branch);
      });
    }
  }
  return out;
}

function validateBranch(b: unknown, kind: ScoreKind, path: string, bad: (p: string, r: string) => void): Branch | null {
  if (!isObj(b)) {
    bad(path, 'must be an object');
    return null;
  }
  unknownKeys(b, BRANCH_KEYS, path, bad);
  const [lo, hi] = SCALES[kind];
  let when: { min: number; max: number } | null = null;
  if (typeof b.when === 'string') {
    const band = BANDS[kind][b.when];
    if (band === undefined) bad(`${path}.when`, `"${b.when}" is not a ${kind} band (${Object.keys(BANDS[kind]).join(', ')}); or write {"min": a, "max": b}`);
    else when = { min: band[0], max: band[1] };
  } else if (isObj(b.when) && typeof b.when.min === 'number' && typeof b.when.max === 'number') {
    const { min, max } = b.when as { min: number; max: number };
    if (!Number.isInteger(min) || !Number.isInteger(max) || min < lo || max > hi || min > max) {
      bad(`${path}.when`, `must be whole scores with ${lo} ≤ min ≤ max ≤ ${hi} for ${kind}`);
    } else when = { min, max };
  } else bad(`${path}.when`, `must be a band name (${Object.keys(BANDS[kind]).join(', ')}) or {"min": a, "max": b}`);

  let message: string | null = null;
  if (b.message !== undefined && b.message !== null) {
    if (typeof b.message !== 'string' || b.message.trim() === '') bad(`${path}.message`, 'must be a non-empty string');
    else {
      message = b.message;
      checkTemplate(message, `${path}.message`, bad);
    }
  }
  const actions: Action[] = [];
  if (b.actions !== undefined) {
    if (!Array.isArray(b.actions)) bad(`${path}.actions`, 'must be an array of actions');
    else {
      b.actions.forEach((a, k) => {
        const ap = `${path}.actions[${k}]`;
        if (!isObj(a)) return bad(ap, 'must be an object with a "type"');
        if (a.type === 'open_case' || a.type === 'offer_callback') {
          unknownKeys(a, ['type'], ap, bad);
          actions.push({ type: a.type });
        } else if (a.type === 'webhook') {
          unknownKeys(a, ['type', 'url'], ap, bad);
          if (typeof a.url !== 'string' || !isHttpUrl(a.url)) bad(`${ap}.url`, 'must be an http or https URL');
          else actions.push({ type: 'webhook', url: a.url });
        } else bad(`${ap}.type`, 'must be open_case, offer_callback or webhook');
      });
    }
  }
  const next = b.next === undefined || b.next === null ? null : typeof b.next === 'string' ? b.next : (bad(`${path}.next`, 'must be a question id or "end"'), null);
  if (when === null) return null;
  if (when.min <= UNHAPPY[kind]) {
    if (!actions.some((a) => a.type === 'open_case' || a.type === 'offer_callback')) {
      bad(`${path}.actions`, `answers of ${when.min}–${Math.min(when.max, UNHAPPY[kind])} are unhappy customers: the branch must open_case or offer_callback`);
    }
    if (message !== null && !/\{(apology|what_went_wrong|failed_step_phrase)(\|[^}]*)?\}/.test(message)) {
      bad(`${path}.message`, 'a reply to an unhappy customer must say what went wrong for them: use {apology} or {what_went_wrong} (or leave the message out for the built-in one)');
    }
  }
  return { when, message, actions, next };
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

function checkTemplate(text: string, path: string, bad: (p: string, r: string) => void): void {
  if (/\bsorry to hear\b/i.test(text)) bad(path, 'says "sorry to hear": a generic apology is not allowed; use {apology}, which names what went wrong for this customer');
  for (const m of text.matchAll(/\{([^}|]*)(\|[^}]*)?\}/g)) {
    if (!(PLACEHOLDERS as readonly string[]).includes(m[1]!)) bad(path, `{${m[1]}} is not a placeholder (known: ${PLACEHOLDERS.join(', ')})`);
  }
}

function validateRules(v: unknown, bad: (p: string, r: string) => void): ContactRules {
  if (v === undefined) return { ...DEFAULT_CONTACT_RULES };
  if (!isObj(v)) {
    bad('$.contact_rules', 'must be an object');
    return { ...DEFAULT_CONTACT_RULES };
  }
  unknownKeys(v, ['cooldown_days', 'max_per_period', 'skip_if_open_case'], '$.contact_rules', bad);
  const rules: ContactRules = { ...DEFAULT_CONTACT_RULES };
  if (v.cooldown_days !== undefined) {
    if (typeof v.cooldown_days !== 'number' || v.cooldown_days < 0) bad('$.contact_rules.cooldown_days', 'must be a number of days, 0 or more');
    else rules.cooldown_days = v.cooldown_days;
  }
  if (v.max_per_period !== undefined) {
    const m = v.max_per_period;
    if (m === null) rules.max_per_period = null;
    else if (!isObj(m) || !Number.isInteger(m.count) || (m.count as number) < 1 || typeof m.days !== 'number' || !(m.days > 0)) {
      bad('$.contact_rules.max_per_period', 'must be {"count": whole number ≥ 1, "days": number > 0}, or null');
    } else rules.max_per_period = { count: m.count as number, days: m.days };
  }
  if (v.skip_if_open_case !== undefined) {
    if (typeof v.skip_if_open_case !== 'boolean') bad('$.contact_rules.skip_if_open_case', 'must be true or false');
    else rules.skip_if_open_case = v.skip_if_open_case;
  }
  return rules;
}

function validateStaff(v: unknown, bad: (p: string, r: string) => void): StaffEntry[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) {
    bad('$.staff', 'must be an array of {id, name, team}');
    return [];
  }
  const out: StaffEntry[] = [];
  v.forEach((s, i) => {
    const p = `$.staff[${i}]`;
    if (!isObj(s)) return bad(p, 'must be an object {id, name, team}');
    unknownKeys(s, ['id', 'name', 'team', 'store'], p, bad);
    const ok = (k: string): boolean => typeof s[k] === 'string' && (s[k] as string).trim() !== '';
    for (const k of ['id', 'name', 'team']) if (!ok(k)) bad(`${p}.${k}`, 'must be a non-empty string');
    if (s.store !== undefined && s.store !== null && !ok('store')) bad(`${p}.store`, 'must be a non-empty string');
    if (ok('id') && ok('name') && ok('team')) out.push({ id: s.id as string, name: s.name as string, team: s.team as string, store: ok('store') ? (s.store as string) : null });
  });
  return out;
}

/** The branch a score takes, if any. */
export function branchFor(q: Question, score: number): Branch | null {
  return q.branches.find((b) => score >= b.when.min && score <= b.when.max) ?? null;
}
