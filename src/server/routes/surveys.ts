/**
 * Surveys over HTTP (docs/feedback.md, "Delivery"): defining a survey, making a signed link for
 * one customer, and the SMS-style conversation — starting one, and the inbound endpoint an SMS
 * gateway posts each text to. Every route calls the dialogue functions `throughline surveys`
 * calls; the webhooks a reply asks for are handed to the sender, never to the caller.
 */
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../core/errors.ts';
import { createSurveyLink, getSurvey, receiveSms, saveSurvey, startSmsSurvey } from '../../feedback/index.ts';
import type { DialogueDeps, SurveyMessage } from '../../feedback/index.ts';
import { resolveCustomer } from '../../identity/customers.ts';
import type { Store } from '../../store/store.ts';
import { ERROR_SCHEMA } from '../errors.ts';
import { requestUrl, SIGNATURE_HEADER, verifyGatewaySignature } from '../gateway-signature.ts';
import type { WebhookSender } from './webhooks.ts';

const ERRORS = { 400: ERROR_SCHEMA, 401: ERROR_SCHEMA, 403: ERROR_SCHEMA, 404: ERROR_SCHEMA, 409: ERROR_SCHEMA, 413: ERROR_SCHEMA, 429: ERROR_SCHEMA };
const ID = { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 64 } }, required: ['id'] } as const;
/** An object answered as is (documented in docs/feedback.md rather than restated here). */
const ANY_OBJECT = { type: 'object', additionalProperties: true } as const;
const NULLABLE = (type: string): { type: readonly string[] } => ({ type: [type, 'null'] });
const CONVERSATION = {
  type: 'object',
  properties: {
    session_id: { type: 'string' },
    survey_id: { type: 'string' },
    customer_key: { type: 'string' },
    text: { type: 'string', description: 'the message to send the customer' },
    expects: { ...NULLABLE('string'), description: 'score, choice, text, yes_no, or null once the survey is over' },
    question: { ...NULLABLE('object'), additionalProperties: true },
    done: { type: 'boolean' },
    case_id: NULLABLE('string'),
  },
} as const;
/** The inbound answer when there is nothing to send, whatever the reason. */
const NOTHING_TO_SEND = Object.freeze({ reply: null, expects: null, done: true });
const CUSTOMER = { type: 'string', minLength: 3, maxLength: 400, description: 'type:value (phone:5551234567, customer_id:C1, …) or a customer key' } as const;

export interface SurveyRouteDeps {
  readonly store: Store;
  readonly now: () => number;
  readonly webhooks: WebhookSender;
}

/** What a conversation's caller sees of a message: the words and where the conversation stands, not the webhooks. */
function conversationDoc(m: SurveyMessage): Record<string, unknown> {
  return { session_id: m.session_id, survey_id: m.survey_id, text: m.text, expects: m.expects, question: m.question, done: m.done, case_id: m.case_id };
}

export function registerSurveys(app: FastifyInstance, deps: SurveyRouteDeps): void {
  const dialogue = (): DialogueDeps => {
    const now = deps.now();
    return { now: () => now };
  };

  app.post(
    '/api/v1/surveys',
    {
      config: { access: ['analyst'] },
      schema: {
        tags: ['surveys'],
        summary: 'throughline surveys add FILE: validate and store a survey definition',
        description:
          'The body is a survey definition (docs/feedback.md, "Survey definitions"). A definition that is not valid is a 400 whose message names the JSON path and reason of every problem. A new survey is 201, one that replaces a survey with the same id 200; both answer the definition as stored, with its defaults filled in.',
        body: { type: 'object', description: 'a survey definition' },
        response: { 200: ANY_OBJECT, 201: ANY_OBJECT, ...ERRORS },
      },
    },
    async (request, reply) => {
      const { survey, replaced } = await deps.store.transaction((tx) => saveSurvey(tx, request.body, deps.now()));
      return reply.code(replaced ? 200 : 201).header('location', `/api/v1/surveys/${encodeURIComponent(survey.id)}`).send(survey);
    },
  );

  app.post(
    '/api/v1/surveys/:id/links',
    {
      config: { access: ['analyst', 'agent'] },
      schema: {
        tags: ['surveys'],
        summary: 'throughline surveys link ID CUSTOMER: a signed, expiring, one-use link to the hosted survey page',
        description:
          'The contact rules of the survey apply (409 naming the rule otherwise). `url` is the path of the hosted page on this server; the link needs no API key, works once, and expires after `expires_in_hours` (default: the survey\'s `link_expiry_hours`).',
        params: ID,
        body: {
          type: 'object',
          properties: {
            customer: CUSTOMER,
            expires_in_hours: { type: 'number', exclusiveMinimum: 0, maximum: 2160 },
            event_id: { type: 'string', minLength: 1, maxLength: 200, description: 'the interaction the survey asks about (transaction surveys)' },
          },
          required: ['customer'],
          additionalProperties: false,
        },
        response: {
          201: {
            type: 'object',
            properties: {
              url: { type: 'string', description: 'the hosted page, /s/<token>, on this server' },
              token: { type: 'string' },
              expires_at: { type: 'string' },
              survey_id: { type: 'string' },
              customer_key: { type: 'string' },
            },
          },
          ...ERRORS,
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      const body = request.body as { customer: string; expires_in_hours?: number; event_id?: string };
      const customerKey = await resolveCustomer(deps.store, body.customer);
      const link = await createSurveyLink(
        deps.store,
        { surveyId: id, customerKey, eventId: body.event_id ?? null, ...(body.expires_in_hours === undefined ? {} : { ttlHours: body.expires_in_hours }) },
        dialogue(),
      );
      return reply.code(201).send({ url: link.path, token: link.token, expires_at: link.expires_at, survey_id: link.survey_id, customer_key: link.customer_key });
    },
  );

  app.post(
    '/api/v1/surveys/:id/conversations',
    {
      config: { access: ['analyst', 'agent'] },
      schema: {
        tags: ['surveys'],
        summary: 'throughline surveys text ID CUSTOMER: start an SMS survey; `text` is the first message to send',
        description:
          "The customer's replies then go to POST /api/v1/conversations/inbound, which finds this conversation by their phone number. The contact rules of the survey apply (409 naming the rule otherwise).",
        params: ID,
        body: { type: 'object', properties: { customer: CUSTOMER }, required: ['customer'], additionalProperties: false },
        response: { 201: CONVERSATION, ...ERRORS },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      const { customer } = request.body as { customer: string };
      const customerKey = await resolveCustomer(deps.store, customer);
      const m = await startSmsSurvey(deps.store, { surveyId: id, customerKey }, dialogue());
      deps.webhooks.send(m.webhooks);
      return reply.code(201).send({ ...conversationDoc(m), customer_key: customerKey });
    },
  );

  app.post(
    '/api/v1/conversations/inbound',
    {
      // SMS gateways have keys of their own, and sign each request (docs/security.md).
      config: { access: ['gateway'] },
      schema: {
        tags: ['surveys'],
        summary: 'An inbound text message from a customer; `reply` is the message to send back (null: send nothing)',
        description:
          'Takes a gateway key, and from a gateway key a valid `X-Twilio-Signature` header (docs/security.md: HMAC-SHA1 with the key\'s signing secret over the full URL and the body\'s fields sorted by name, base64); a request without one, or with a wrong one, is 401. The reply comes from the survey waiting for an answer from that phone number. With `survey_id`, a text from a customer with no survey in progress starts that survey (contact rules apply) and the reply is its first question. Whether or not the number belongs to a customer, the answer is 200 with the same fields: `reply` is null when there is nothing to send (no survey waiting, an unknown number, a number shared by several customers, or contact rules that forbid surveying now).',
        body: {
          type: 'object',
          properties: {
            from: { type: 'string', minLength: 3, maxLength: 40, description: "the sender's phone number" },
            text: { type: 'string', maxLength: 1600, description: 'the message' },
            survey_id: { type: 'string', minLength: 1, maxLength: 64, description: 'start this survey when none is in progress' },
          },
          required: ['from', 'text'],
          additionalProperties: false,
        },
        headers: { type: 'object', properties: { 'x-twilio-signature': { type: 'string', description: "the request's signature (required from gateway keys)" } } },
        response: {
          200: {
            type: 'object',
            properties: {
              reply: { ...NULLABLE('string'), description: 'the text to send back; null: send nothing' },
              expects: NULLABLE('string'),
              done: { type: 'boolean' },
            },
          },
          ...ERRORS,
        },
      },
      preHandler: async (request) => {
        const p = request.principal;
        // Admin keys may do anything, a test call from the command line included; a gateway's
        // key alone is not enough, as it may be seen in a provider's console or logs.
        if (p === null || p.role !== 'gateway') return;
        const params = Object.fromEntries(Object.entries(request.body as Record<string, string>).map(([k, v]) => [k, String(v)]));
        const signature = request.headers[SIGNATURE_HEADER];
        if (p.signingSecret === null || !verifyGatewaySignature(p.signingSecret, requestUrl(request), params, Array.isArray(signature) ? signature[0] : signature)) {
          throw new AppError('unauthorized', `the request's ${SIGNATURE_HEADER} signature is ${signature === undefined ? 'missing' : 'not valid'}`, {
            hint: "sign the full URL and the body's fields sorted by name with the gateway key's signing secret (HMAC-SHA1, base64): see docs/security.md",
          });
        }
      },
    },
    async (request) => {
      const body = request.body as { from: string; text: string; survey_id?: string };
      // A survey that does not exist is the gateway's configuration, whoever texts: say so.
      if (body.survey_id !== undefined) await getSurvey(deps.store, body.survey_id);
      let m: SurveyMessage;
      try {
        m = await receiveSms(deps.store, { from: body.from, text: body.text, ...(body.survey_id === undefined ? {} : { surveyId: body.survey_id }) }, dialogue());
      } catch (e) {
        // Nothing to send, for a reason that depends on whose number it is: answered like any
        // other nothing-to-send, so the answer never tells whether a number is a customer's.
        if (e instanceof AppError && (e.code === 'not_found' || e.code === 'conflict')) return NOTHING_TO_SEND;
        throw e;
      }
      deps.webhooks.send(m.webhooks);
      // The gateway gets the words to send and no more (no case or session ids).
      return { reply: m.text, expects: m.expects, done: m.done };
    },
  );
}
