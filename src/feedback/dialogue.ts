/**
 * Survey delivery as a dialogue: the same state machine behind the hosted page (`/s/<token>`)
 * and the SMS-style conversational endpoint. A score is read from free text, written as a
 * feedback record, and answered as a person would: an unhappy customer gets an apology that
 * names what went wrong for them, is asked what would make it right and offered a callback,
 * and is never answered "sorry to hear" followed by the next question. A happy customer is
 * thanked, and an employee they name is praised to their team. See docs/feedback.md.
 */
import { randomBytes } from 'node:crypto';
import { AppError } from '../core/errors.ts';
import { isPlaceholder, normalizeIdentifier } from '../identity/normalize.ts';
import type { Queryable, SqlDialect, Store } from '../store/store.ts';
import { insertSurveyAnswer } from './answers.ts';
import { DEFAULT_CASE_RULES, openCasesForAnswers, requestCallback } from './cases.ts';
import type { CaseRules } from './cases.ts';
import { callHours, contactDecision, promisedCallTime } from './contact-rules.ts';
import { describeRootCause, loadContext } from './context.ts';
import type { CustomerContext } from './context.ts';
import { findNamedStaff, recordPraise } from './praise.ts';
import { CONFIDENT, readReply } from './reply-reader.ts';
import type { Expectation, ReplyReading } from './reply-reader.ts';
import { branchFor, SCALES, UNHAPPY } from './survey-definition.ts';
import type { Action, Placeholder, Question, ScoreKind, SurveyDefinition } from './survey-definition.ts';
import { getSurvey } from './surveys.ts';
import { issueToken, readToken, redeemToken, usedError } from './tokens.ts';

export interface DialogueDeps {
  readonly now?: () => number;
  readonly caseRules?: Partial<CaseRules>;
}

/** A webhook a branch asked for; the edge that runs the dialogue delivers it (domain code makes no HTTP calls). */
export interface WebhookCall {
  url: string;
  payload: { event: 'survey.answer'; survey_id: string; session_id: string; customer_key: string; question_id: string; metric: string; score: number; response_id: string; case_id: string | null };
}

/** What the customer sees next, on the page or by text message. */
export interface SurveyMessage {
  session_id: string;
  survey_id: string;
  text: string;
  /** What kind of reply the message asks for; null once the survey is over. */
  expects: 'score' | 'choice' | 'text' | 'yes_no' | null;
  question: { id: string; kind: string; text: string; choices: string[]; scale: [number, number] | null } | null;
  done: boolean;
  /** The case this conversation opened or joined, if any. */
  case_id: string | null;
  /** Whether a "yes" now accepts a callback (a page can offer it as a button). */
  callback_offered: boolean;
  webhooks: WebhookCall[];
}

interface State {
  index: number;
  stage: 'question' | 'recovery' | 'callback_offer' | 'done';
  answers: Record<string, string | number>;
  response_ids: string[];
  /** The answer an apology, a comment or a callback belongs to. */
  last_response_id: string | null;
  last_agent: string | null;
  event_id: string | null;
  case_id: string | null;
  offered_callback: boolean;
  /** Where an unhappy customer's conversation goes once it is settled: a question index, or -1 for the end. */
  after_recovery: number;
  /** The score question an apology answered: the recovery answers are stored under its id. */
  recovery_question?: string;
  /** How many times each question was asked again because its reply was unclear. */
  retries?: Record<string, number>;
  opted_out?: boolean;
  /** The time a callback was promised for. */
  callback_at?: number;
  praised: string[];
}

interface Session {
  session_id: string;
  survey: SurveyDefinition;
  customer_key: string;
  channel: string;
  state: State;
}

type Db = Queryable | Store;

function inTransaction<T>(db: Db, fn: (q: Queryable) => Promise<T>): Promise<T> {
  return 'transaction' in db ? db.transaction(fn) : fn(db);
}

const clock = (deps: DialogueDeps): number => (deps.now ?? Date.now)();
/** With a whole store, root causes follow the broken-steps ranking (it needs the SQL dialect). */
const dialectOf = (db: Db): SqlDialect | undefined => ('sql' in db ? db.sql : undefined);

// ---------------------------------------------------------------------------------------------
// Starting a conversation

export interface SurveyLink {
  token: string;
  /** The hosted page's path; the server puts its origin in front. */
  path: string;
  survey_id: string;
  customer_key: string;
  expires_at: string;
}

/**
 * A signed, expiring, one-use link for one customer, if the contact rules allow surveying them
 * now (otherwise a `conflict` error that says which rule).
 */
export async function createSurveyLink(
  db: Db,
  request: { surveyId: string; customerKey: string; eventId?: string | null; channel?: 'web' | 'sms'; ignoreContactRules?: boolean; ttlHours?: number },
  deps: DialogueDeps = {},
): Promise<SurveyLink> {
  const now = clock(deps);
  const ttl = request.ttlHours;
  if (ttl !== undefined && !(ttl > 0 && ttl <= 24 * 90)) throw new AppError('usage', `a link's lifetime must be above 0 and at most 2160 hours (90 days), got ${ttl}`);
  return inTransaction(db, async (q) => {
    const survey = await getSurvey(q, request.surveyId);
    await checkContact(q, survey, request.customerKey, now, request.ignoreContactRules === true);
    const t = await issueToken(
      q,
      { surveyId: survey.id, customerKey: request.customerKey, channel: request.channel ?? 'web', eventId: request.eventId ?? null, ttlHours: ttl ?? survey.link_expiry_hours },
      now,
    );
    return { token: t.token, path: `/s/${t.token}`, survey_id: survey.id, customer_key: request.customerKey, expires_at: new Date(t.expires_at).toISOString() };
  });
}

async function checkContact(q: Queryable, survey: SurveyDefinition, customerKey: string, now: number, ignore: boolean): Promise<void> {
  const [known] = await q.query(`SELECT 1 AS x FROM id_tuples WHERE customer_key = $1 UNION ALL SELECT 1 FROM feedback WHERE customer_key = $1 LIMIT 1`, [customerKey]);
  if (known === undefined) throw new AppError('not_found', `no customer has key ${customerKey}`);
  if (ignore) return;
  const decision = await contactDecision(q, customerKey, survey.contact_rules, now);
  if (!decision.ok) throw new AppError('conflict', `not surveying ${customerKey}: ${decision.reason}`, { hint: `contact rule ${decision.rule} of survey ${survey.id}` });
}

/** Opens the survey behind a link (using the link up) and returns its first question. */
export async function startSession(db: Db, token: string, deps: DialogueDeps = {}): Promise<SurveyMessage> {
  const now = clock(deps);
  return inTransaction(db, async (q) => {
    const sessionId = randomBytes(16).toString('base64url');
    const t = await redeemToken(q, token, sessionId, now);
    const survey = await getSurvey(q, t.survey_id);
    return begin(q, { session_id: sessionId, survey, customer_key: t.customer_key, channel: t.channel, state: initialState(t.event_id) }, t.token_id, now, dialectOf(db));
  });
}

/**
 * The first question behind a link, without using the link up: the hosted page shows it on GET,
 * and only an answer redeems the link (mail scanners and link previews fetch links before the
 * customer does). A used link is `conflict`. The message has no session yet (`session_id` "").
 */
export async function previewSurveyLink(db: Db, token: string, deps: DialogueDeps = {}): Promise<SurveyMessage> {
  const now = clock(deps);
  const t = await readToken(db, token, now);
  if (t.used_at !== null) throw usedError();
  const survey = await getSurvey(db, t.survey_id);
  const s: Session = { session_id: '', survey, customer_key: t.customer_key, channel: t.channel, state: initialState(t.event_id) };
  const ctx = await loadContext(db, { customer_key: t.customer_key, at: now, event_id: t.event_id }, dialectOf(db));
  const first = survey.questions[0]!;
  return message(s, askText(first, s, ctx, now), first, []);
}

/**
 * An answer given on the hosted page. Without a session, the answer redeems the link (once) and
 * answers its first question; with one, it continues that link's conversation, which only the
 * one who redeemed the link knows. A finished conversation, or another's, is `conflict`.
 */
export async function answerSurveyLink(db: Db, request: { token: string; sessionId: string | null; text: string }, deps: DialogueDeps = {}): Promise<SurveyMessage> {
  const now = clock(deps);
  if (request.sessionId === null) {
    const first = await startSession(db, request.token, deps);
    return answer(db, first.session_id, request.text, { ...deps, now: () => now });
  }
  // A conversation begun before the link expired may be finished after.
  const t = await readToken(db, request.token, now, { allowExpired: true });
  if (t.session_id !== request.sessionId) {
    if (t.used_at !== null) throw usedError();
    throw new AppError('unauthorized', 'this survey conversation does not belong to this link', { hint: 'open the link again' });
  }
  const [row] = await db.query(`SELECT status FROM survey_sessions WHERE session_id = $1`, [request.sessionId]);
  if (row === undefined || row.status !== 'active') throw new AppError('conflict', 'this survey has already been answered', { hint: 'each link can be answered once' });
  return answer(db, request.sessionId, request.text, deps);
}

/** Starts an SMS survey for a customer: the returned text is the first message to send them. */
export async function startSmsSurvey(
  db: Db,
  request: { surveyId: string; customerKey: string; eventId?: string | null; ignoreContactRules?: boolean },
  deps: DialogueDeps = {},
): Promise<SurveyMessage> {
  const now = clock(deps);
  const link = await createSurveyLink(db, { ...request, channel: 'sms' }, deps);
  return startSession(db, link.token, { ...deps, now: () => now });
}

// Stored and sent numbers are both normalised to E.164 (src/identity/normalize.ts).
const SAME_PHONE = `phone = $1`;

/**
 * An inbound text message from a phone: the reply to send back, from that customer's survey in
 * progress. With `surveyId`, a text from a customer with no survey in progress starts that
 * survey (the customer texted a keyword), and the reply is its first question.
 */
export async function receiveSms(db: Db, message: { from: string; text: string; surveyId?: string }, deps: DialogueDeps = {}): Promise<SurveyMessage> {
  const phone = normalizeIdentifier('phone', message.from);
  if (phone === null) throw new AppError('usage', `"${message.from}" is not a phone number`);
  const [row] = await db.query(
    `SELECT s.session_id FROM survey_sessions s
     WHERE s.channel = 'sms' AND s.status = 'active' AND s.customer_key IN (SELECT customer_key FROM id_tuples WHERE ${SAME_PHONE})
     ORDER BY s.updated_at DESC LIMIT 1`,
    [phone],
  );
  if (row !== undefined) return answer(db, String(row.session_id), message.text, deps);
  if (message.surveyId === undefined) throw new AppError('not_found', `no survey is waiting for an answer from ${phone}`);
  const keys = (await db.query(`SELECT DISTINCT customer_key FROM id_tuples WHERE customer_key IS NOT NULL AND (${SAME_PHONE}) ORDER BY customer_key`, [phone])).map((r) =>
    String(r.customer_key),
  );
  if (keys.length === 0 || isPlaceholder('phone', phone)) throw new AppError('not_found', `no customer has phone ${phone}`);
  // A shared number names no single customer: surveying one of them would answer for another.
  if (keys.length > 1) throw new AppError('conflict', `phone ${phone} is shared by several customers, so it names no single customer`);
  return startSmsSurvey(db, { surveyId: message.surveyId, customerKey: keys[0]! }, deps);
}

function initialState(eventId: string | null): State {
  return {
    index: 0,
    stage: 'question',
    answers: {},
    response_ids: [],
    last_response_id: null,
    last_agent: null,
    event_id: eventId,
    case_id: null,
    offered_callback: false,
    after_recovery: -1,
    praised: [],
  };
}

async function begin(q: Queryable, s: Session, tokenId: string, now: number, sql: SqlDialect | undefined): Promise<SurveyMessage> {
  const ctx = await loadContext(q, { customer_key: s.customer_key, at: now, event_id: s.state.event_id }, sql);
  const first = s.survey.questions[0]!;
  const greeting = s.channel === 'sms' ? `Hi${ctx.first_name === null ? '' : ` ${ctx.first_name}`}, it's ${s.survey.company}. ` : '';
  await q.exec(
    `INSERT INTO survey_sessions (session_id, survey_id, customer_key, token_id, channel, status, state, started_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, 'active', $6, $7, $7)`,
    [s.session_id, s.survey.id, s.customer_key, tokenId, s.channel, JSON.stringify(s.state), now],
  );
  return message(s, greeting + askText(first, s, ctx, now), first, []);
}

// ---------------------------------------------------------------------------------------------
// Answering

/** The customer's reply to the last message of a session; returns the next message. */
export async function answer(db: Db, sessionId: string, text: string, deps: DialogueDeps = {}): Promise<SurveyMessage> {
  const now = clock(deps);
  return inTransaction(db, async (q) => {
    const [row] = await q.query(`SELECT survey_id, customer_key, channel, status, state FROM survey_sessions WHERE session_id = $1`, [sessionId]);
    if (row === undefined) throw new AppError('not_found', `no survey session ${sessionId}`);
    const s: Session = {
      session_id: sessionId,
      survey: await getSurvey(q, String(row.survey_id)),
      customer_key: String(row.customer_key),
      channel: String(row.channel),
      state: JSON.parse(String(row.state)) as State,
    };
    if (s.state.stage === 'done') return { ...message(s, 'This survey is finished. Thank you again for your answers.', null, []), done: true };
    const turn = new Turn(q, s, now, deps, dialectOf(db));
    const reply = await turn.handle(text.trim());
    await q.exec(`UPDATE survey_sessions SET state = $2, status = $3, updated_at = $4 WHERE session_id = $1`, [
      sessionId,
      JSON.stringify(s.state),
      s.state.opted_out === true ? 'opted_out' : (s.state.stage as State['stage']) === 'done' ? 'completed' : 'active',
      now,
    ]);
    return reply;
  });
}

class Turn {
  private ctx: CustomerContext | null = null;
  private readonly webhooks: WebhookCall[] = [];

  constructor(
    private readonly q: Queryable,
    private readonly s: Session,
    private readonly now: number,
    private readonly deps: DialogueDeps,
    private readonly sql: SqlDialect | undefined,
  ) {}

  private async context(): Promise<CustomerContext> {
    this.ctx ??= await loadContext(this.q, { customer_key: this.s.customer_key, at: this.now, event_id: this.s.state.event_id }, this.sql);
    return this.ctx;
  }

  async handle(text: string): Promise<SurveyMessage> {
    const st = this.s.state;
    const q = st.stage === 'question' ? this.s.survey.questions[st.index]! : null;
    const reading = readReply(text, this.expectation(q), await this.weekday());
    if (reading.intent === 'opt_out') return this.optOut();
    if (reading.intent === 'question') return this.answerQuestion(q);
    if (st.stage === 'recovery' || st.stage === 'callback_offer') return this.recovery(text, reading);
    if (q!.kind === 'nps' || q!.kind === 'csat' || q!.kind === 'ces') return this.score(q!, q!.kind, text, reading);
    if (q!.kind === 'choice') {
      if (reading.intent !== 'choice' || reading.confidence < CONFIDENT) {
        return this.unsure(q!.id, `Please reply with one of: ${q!.choices.map((c, i) => `${i + 1} ${c}`).join(', ')}.`, q!, () => this.advance(null, q!.next));
      }
      st.answers[q!.id] = reading.choice!;
      await this.saveAttrs();
      return this.advance(null, q!.next);
    }
    // A text question: its answer is stored under its own id (never added to another answer).
    if (reading.intent === 'unclear' && text !== '' && reading.confidence < CONFIDENT && !(st.retries ?? {})[q!.id]) {
      return this.unsure(q!.id, `${askText(q!, this.s, await this.context(), this.now)} (Reply SKIP to skip it.)`, q!, () => this.advance(null, q!.next));
    }
    if (text !== '' && reading.intent !== 'skip') {
      st.answers[q!.id] = text;
      await this.maybePraise(text);
      await this.saveAttrs();
    }
    return this.advance(null, q!.next);
  }

  /** What the last message asked for, as the reply reader needs it. */
  private expectation(q: Question | null): Expectation {
    const st = this.s.state;
    if (st.stage === 'callback_offer') return { kind: 'yes_no' };
    if (st.stage === 'recovery') return { kind: 'text', offer: st.offered_callback };
    if (q!.kind === 'nps' || q!.kind === 'csat' || q!.kind === 'ces') {
      const [lo, hi] = SCALES[q!.kind];
      return { kind: 'score', lo, hi };
    }
    if (q!.kind === 'choice') return { kind: 'choice', choices: q!.choices };
    return { kind: 'text', offer: false };
  }

  /** Today's weekday in the customer's zone (0 = Sunday), so "call me Monday" names a day. */
  private async weekday(): Promise<number> {
    const zone = (await this.context()).timezone;
    try {
      return ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(new Intl.DateTimeFormat('en-US', { weekday: 'short', timeZone: zone }).format(new Date(this.now)));
    } catch {
      return new Date(this.now).getUTCDay();
    }
  }

  /**
   * Not sure what the reply meant: ask again, once per question; the second time, `giveUp`
   * (move on without recording a guess).
   */
  private async unsure(key: string, ask: string, q: Question | null, giveUp: () => Promise<SurveyMessage>, expects?: SurveyMessage['expects']): Promise<SurveyMessage> {
    const st = this.s.state;
    st.retries ??= {};
    if ((st.retries[key] ?? 0) >= 1) return giveUp();
    st.retries[key] = (st.retries[key] ?? 0) + 1;
    return message(this.s, `Sorry, I did not quite get that. ${ask}`, q, [], expects);
  }

  /** "Who is this?": say who is asking and why, and ask the same thing again. */
  private async answerQuestion(q: Question | null): Promise<SurveyMessage> {
    const st = this.s.state;
    const intro = `This is ${this.s.survey.company}, asking about your recent experience with us so we can put things right.`;
    if (st.stage === 'callback_offer') return message(this.s, `${intro} Would you like us to call you? Reply YES or NO.`, null, [], 'yes_no');
    if (st.stage === 'recovery') return message(this.s, `${intro} What would make it right for you?`, null, [], 'text');
    return message(this.s, `${intro} ${askText(q!, this.s, await this.context(), this.now)}`, q, []);
  }

  /** STOP: the conversation ends, and the contact rules survey this customer no more. */
  private async optOut(): Promise<SurveyMessage> {
    this.s.state.stage = 'done';
    this.s.state.opted_out = true;
    return { ...message(this.s, `You will not get any more surveys from ${this.s.survey.company}.`, null, this.webhooks), done: true, expects: null };
  }

  private async score(q: Question, kind: ScoreKind, text: string, reading: ReplyReading): Promise<SurveyMessage> {
    const st = this.s.state;
    const [lo, hi] = SCALES[kind];
    if (reading.intent !== 'score' || reading.confidence < CONFIDENT) {
      const hint = reading.intent === 'callback' ? 'We can call you about it once we have your answer. ' : '';
      return this.unsure(q.id, `${hint}Please reply with a number from ${lo} to ${hi}${scaleWords(kind)}.`, q, async () => {
        // Asked twice and still no score: nothing is recorded for this question.
        st.answers[`${q.id}_unread`] = text;
        return this.advance('Thank you.', q.next);
      });
    }
    const score = reading.score!;
    const ctx = await this.context();
    const responseId = `sv-${this.s.session_id}-${q.id}`;
    const agent = await this.agentOfEvent();
    await insertSurveyAnswer(this.q, {
      response_id: responseId,
      ts: this.now,
      survey_id: this.s.survey.id,
      metric: kind,
      scope: this.s.survey.type,
      score,
      comment: reading.comment ?? null,
      event_id: st.event_id,
      agent_id: agent,
      customer_key: this.s.customer_key,
      attrs: { source: 'survey', session_id: this.s.session_id, channel: this.s.channel, answers: st.answers },
    });
    st.answers[q.id] = score;
    st.response_ids.push(responseId);
    st.last_response_id = responseId;
    st.last_agent = agent;

    const unhappy = score <= UNHAPPY[kind];
    const happy = kind === 'nps' ? score >= 9 : kind === 'csat' ? score >= 4 : score >= 5;
    const branch = branchFor(q, score);
    // An unhappy answer without a branch still gets the loop closed: a callback is offered.
    const actions: Action[] = branch?.actions ?? (unhappy ? [{ type: 'offer_callback' }] : []);

    // The rule every answer obeys (relationship detractor, CSAT 1–2), then the branch's own action.
    const opened = await openCasesForAnswers(this.q, { responseIds: [responseId] }, { now: this.now, source: 'survey', ...this.rules() });
    if (actions.some((a) => a.type === 'open_case')) {
      await openCasesForAnswers(this.q, { responseIds: [responseId] }, { now: this.now, source: 'survey', force: true, ...this.rules() });
    }
    if (opened.opened.length > 0 || actions.some((a) => a.type === 'open_case')) st.case_id = await this.openCaseId();
    for (const a of actions) {
      if (a.type !== 'webhook') continue;
      this.webhooks.push({
        url: a.url,
        payload: {
          event: 'survey.answer', survey_id: this.s.survey.id, session_id: this.s.session_id, customer_key: this.s.customer_key,
          question_id: q.id, metric: kind, score, response_id: responseId, case_id: st.case_id,
        },
      });
    }
    const vars = this.vars(ctx, score);

    if (unhappy) {
      const offer = actions.some((a) => a.type === 'offer_callback');
      st.offered_callback = offer;
      st.recovery_question = q.id;
      st.after_recovery = branch?.next === null || branch?.next === undefined || branch.next === 'end' ? -1 : this.indexOf(branch.next);
      st.stage = 'recovery';
      const body = branch?.message !== null && branch?.message !== undefined ? render(branch.message, vars) : `${vars.apology} What would make it right for you?`;
      const withOffer = offer && !(branch?.message ?? '').includes('{callback_offer') ? `${body} ${vars.callback_offer}` : body;
      return message(this.s, withOffer, null, this.webhooks, 'text');
    }

    let thanks = branch?.message !== null && branch?.message !== undefined ? render(branch.message, vars) : happy ? `Thank you${comma(ctx.first_name)}, that is great to hear.` : 'Thank you.';
    if (happy && reading.comment !== null && reading.comment !== undefined) {
      const staff = await this.maybePraise(reading.comment);
      if (staff !== null) thanks += ` We have passed your kind words on to ${staff}.`;
    }
    return this.advance(thanks, branch?.next ?? q.next);
  }

  /**
   * After an apology: a yes or a request to be called takes the callback (at the time asked for,
   * outside the customer's quiet hours), a no is respected, anything else is what would make it
   * right, stored as its own answer. A reply that is neither to the yes/no offer is asked again
   * once, never taken as a no.
   */
  private async recovery(text: string, reading: ReplyReading): Promise<SurveyMessage> {
    const st = this.s.state;
    const ctx = await this.context();
    const sure = reading.confidence >= CONFIDENT;
    if (sure && st.offered_callback && (reading.intent === 'yes' || reading.intent === 'callback')) return this.acceptCallback(reading);
    if (sure && reading.intent === 'no') return this.settle(`Understood${comma(ctx.first_name)}. Thank you for telling us; we will look into what happened.`);
    if (st.stage === 'recovery' && sure && reading.intent === 'answer') {
      st.answers[`${st.recovery_question ?? 'score'}_make_it_right`] = text;
      await this.saveAttrs();
      if (st.offered_callback) {
        st.stage = 'callback_offer';
        return message(this.s, `Thank you, that helps us put it right. Would you like us to call you about it? Reply YES for a call, or NO.`, null, [], 'yes_no');
      }
      return this.settle(`Thank you${comma(ctx.first_name)}, that helps us put it right.`);
    }
    const ask = st.stage === 'callback_offer' ? 'Would you like us to call you? Reply YES for a call, or NO.' : 'What would make it right for you?';
    return this.unsure(`${st.stage}_${st.recovery_question ?? ''}`, ask, null, async () => {
      // Asked twice: the reply is kept as the customer wrote it, and no call is assumed either way.
      if (text !== '') st.answers[`${st.recovery_question ?? 'score'}_${st.stage === 'callback_offer' ? 'callback_reply' : 'make_it_right'}`] = text;
      await this.saveAttrs();
      return this.settle(`Thank you${comma(ctx.first_name)}. We will not call unless you ask us to; our team will look into what happened.`);
    }, st.stage === 'callback_offer' ? 'yes_no' : 'text');
  }

  private async acceptCallback(reading: ReplyReading): Promise<SurveyMessage> {
    const st = this.s.state;
    const ctx = await this.context();
    const hours = await callHours(this.q, this.s.customer_key, ctx.timezone);
    const callbackHours = this.deps.caseRules?.callbackHours ?? DEFAULT_CASE_RULES.callbackHours;
    const promise = promisedCallTime(this.now, reading.callAt ?? null, hours, callbackHours * 3600_000);
    const when = dueWords(promise.at, hours.zone);
    const asked = st.answers[`${st.recovery_question ?? 'score'}_make_it_right`];
    const caseId = await requestCallback(
      this.q,
      {
        customerKey: this.s.customer_key,
        responseId: st.last_response_id,
        note:
          `callback accepted in survey ${this.s.survey.id}: call ${promise.relation} ${when}` +
          (promise.moved ? ` (moved out of ${hours.source}, ${hours.quiet_start}–${hours.quiet_end})` : '') +
          (asked === undefined ? '' : `; what would make it right: "${String(asked)}"`),
        dueAt: promise.relation === 'by' || promise.relation === 'before' ? promise.at : promise.at + 2 * 3600_000,
      },
      { now: this.now, actor: 'customer', ...this.rules() },
    );
    st.case_id = caseId;
    st.callback_at = promise.at;
    const phrase = promise.relation === 'after' ? `from ${when}` : `by ${when}`;
    const moved = promise.moved && reading.callAt !== null && reading.callAt !== undefined ? ' (the earliest we call is after quiet hours)' : '';
    return this.settle(`Thank you${comma(ctx.first_name)}. Someone from our team will call you ${phrase}${moved} (reference ${caseId}).`);
  }

  private async settle(reply: string): Promise<SurveyMessage> {
    const st = this.s.state;
    st.stage = 'question';
    if (st.after_recovery < 0) return this.finish(reply);
    st.index = st.after_recovery;
    const q = this.s.survey.questions[st.index]!;
    return message(this.s, `${reply} ${askText(q, this.s, await this.context(), this.now)}`, q, this.webhooks);
  }

  /** Moves to the question after the current one (or `next`), or ends. */
  private async advance(prefix: string | null, next: string | null): Promise<SurveyMessage> {
    const st = this.s.state;
    const to = next === 'end' ? -1 : next !== null ? this.indexOf(next) : st.index + 1 < this.s.survey.questions.length ? st.index + 1 : -1;
    if (to < 0) return this.finish(prefix);
    st.index = to;
    const q = this.s.survey.questions[to]!;
    const ask = askText(q, this.s, await this.context(), this.now);
    return message(this.s, prefix === null ? ask : `${prefix} ${ask}`, q, this.webhooks);
  }

  private async finish(prefix: string | null): Promise<SurveyMessage> {
    this.s.state.stage = 'done';
    const closing = render(this.s.survey.closing_message, this.vars(await this.context(), null));
    const text = prefix === null ? closing : /thank/i.test(prefix) ? prefix : `${prefix} ${closing}`;
    return { ...message(this.s, text, null, this.webhooks), done: true, expects: null };
  }

  private async maybePraise(text: string): Promise<string | null> {
    const st = this.s.state;
    const staff = await findNamedStaff(this.q, text, this.s.survey.staff, st.last_agent);
    if (staff === null || st.praised.includes(staff.staff_id)) return null;
    const lastScore = st.last_response_id === null ? null : await this.lastScoreHappy();
    if (lastScore === false) return null;
    await recordPraise(this.q, { staff, ts: this.now, customerKey: this.s.customer_key, responseId: st.last_response_id, sessionId: this.s.session_id, text });
    st.praised.push(staff.staff_id);
    return staff.name === null ? `${staff.staff_id}'s team` : `${staff.name.split(/\s+/)[0]} and their team`;
  }

  private async lastScoreHappy(): Promise<boolean> {
    const [r] = await this.q.query(`SELECT metric, score FROM feedback WHERE response_id = $1`, [this.s.state.last_response_id]);
    if (r === undefined) return false;
    const score = Number(r.score);
    return r.metric === 'nps' ? score >= 9 : r.metric === 'csat' ? score >= 4 : score >= 5;
  }

  private async agentOfEvent(): Promise<string | null> {
    if (this.s.state.event_id === null) return null;
    const [r] = await this.q.query(`SELECT agent_id FROM interactions WHERE event_id = $1`, [this.s.state.event_id]);
    return r === undefined || r.agent_id === null ? null : String(r.agent_id);
  }

  private async openCaseId(): Promise<string | null> {
    const [c] = await this.q.query(`SELECT case_id FROM cases WHERE customer_key = $1 AND status IN ('open', 'contacted') ORDER BY opened_at LIMIT 1`, [this.s.customer_key]);
    return c === undefined ? null : String(c.case_id);
  }

  private async saveAttrs(): Promise<void> {
    const st = this.s.state;
    if (st.last_response_id === null) return;
    // RETURNING: see appendComment.
    await this.q.query(`UPDATE feedback SET attrs = $2 WHERE response_id = $1 RETURNING customer_key`, [
      st.last_response_id,
      JSON.stringify({ source: 'survey', session_id: this.s.session_id, channel: this.s.channel, answers: st.answers }),
    ]);
  }

  private rules(): { rules?: Partial<CaseRules>; sql?: SqlDialect } {
    return { ...(this.deps.caseRules === undefined ? {} : { rules: this.deps.caseRules }), ...(this.sql === undefined ? {} : { sql: this.sql }) };
  }

  private indexOf(id: string): number {
    const i = this.s.survey.questions.findIndex((q) => q.id === id);
    return i < 0 ? -1 : i;
  }

  private vars(ctx: CustomerContext, score: number | null): Record<Placeholder, string> {
    return templateVars(ctx, this.s.survey, score, this.now, this.s.channel);
  }
}

// ---------------------------------------------------------------------------------------------
// Words

/**
 * The values of the template placeholders for one customer. `apology` is never generic: it
 * names the failed step and what the customer had to do next when their journey shows it.
 */
export function templateVars(ctx: CustomerContext, survey: SurveyDefinition, score: number | null, now: number, channel: string): Record<Placeholder, string> {
  const story = ctx.root === null ? null : describeRootCause(ctx.root, 'you', ctx.timezone, now);
  const name = ctx.first_name ?? '';
  const apology = story === null ? `We're sorry${comma(ctx.first_name)}: we clearly let you down, and we want to put it right.` : `We're sorry${comma(ctx.first_name)}. ${story.sentence}`;
  return {
    first_name: name,
    company: survey.company,
    score: score === null ? '' : String(score),
    failed_step: story?.failed_step ?? '',
    failed_step_phrase: story?.failed_step_phrase ?? '',
    failed_channel: story?.failed_channel ?? '',
    failed_at_date: story?.failed_at_date ?? '',
    followup_phrase: story?.followup_phrase ?? '',
    what_went_wrong: story?.sentence ?? '',
    apology,
    agent_name: '',
    callback_offer: channel === 'sms' ? 'If you would like us to call you to put this right, just reply YES.' : 'If you would like us to call you to put this right, answer YES.',
  };
}

/** Fills `{name}` and `{name|fallback}`, then tidies the spaces and punctuation an empty value leaves. */
export function render(template: string, vars: Readonly<Record<string, string>>): string {
  return template
    .replace(/\{([a-z_]+)(?:\|([^}]*))?\}/g, (_, key: string, fallback: string | undefined) => {
      const v = vars[key] ?? '';
      return v !== '' ? v : (fallback ?? '');
    })
    .replace(/[ \t]+/g, ' ')
    .replace(/ ([,.!?;:])/g, '$1')
    .replace(/,([.!?])/g, '$1')
    .trim();
}

function comma(name: string | null): string {
  return name === null || name === '' ? '' : `, ${name}`;
}

function scaleWords(kind: ScoreKind): string {
  if (kind === 'nps') return ', where 10 is extremely likely';
  if (kind === 'csat') return ', where 5 is very satisfied';
  return ', where 7 is very easy';
}

function askText(q: Question, s: Session, ctx: CustomerContext, now: number): string {
  const text = render(q.text, templateVars(ctx, s.survey, null, now, s.channel));
  if (s.channel !== 'sms') return text;
  if (q.kind === 'nps' || q.kind === 'csat' || q.kind === 'ces') {
    const [lo, hi] = SCALES[q.kind];
    return `${text} Reply with a number from ${lo} to ${hi}.`;
  }
  if (q.kind === 'choice') return `${text} Reply ${q.choices.map((c, i) => `${i + 1} for ${c}`).join(', ')}.`;
  return text;
}

function message(s: Session, text: string, q: Question | null, webhooks: WebhookCall[], expects?: SurveyMessage['expects']): SurveyMessage {
  const kind = q?.kind;
  return {
    session_id: s.session_id,
    survey_id: s.survey.id,
    text,
    expects: expects ?? (q === null ? null : kind === 'choice' ? 'choice' : kind === 'text' ? 'text' : 'score'),
    question:
      q === null
        ? null
        : { id: q.id, kind: q.kind, text: q.text, choices: q.choices, scale: q.kind === 'nps' || q.kind === 'csat' || q.kind === 'ces' ? [...SCALES[q.kind]] : null },
    done: false,
    case_id: s.state.case_id,
    callback_offered: s.state.offered_callback && (s.state.stage === 'recovery' || s.state.stage === 'callback_offer'),
    webhooks,
  };
}

function dueWords(ms: number, timeZone: string): string {
  let zone = timeZone;
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: zone });
  } catch {
    zone = 'UTC';
  }
  const f = new Intl.DateTimeFormat('en-GB', { weekday: 'long', day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: zone });
  const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return `${p.weekday} ${p.day} ${p.month} at ${p.hour}:${p.minute}${zone === 'UTC' ? ' UTC' : ''}`;
}
