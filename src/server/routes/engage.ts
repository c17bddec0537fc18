/**
 * The engagement guard over HTTP: `POST /api/v1/engage/evaluate` decides candidate actions for
 * one customer and records each decision; `GET /api/v1/engage/decisions` is the log marketing
 * reads to see why a contact was stopped (docs/engagement.md).
 */
import type { FastifyInstance } from 'fastify';
import { ACTION_KINDS, evaluate, listDecisions } from '../../engage/index.ts';
import type { Candidate, Policies, Verdict } from '../../engage/index.ts';
import { resolveCustomer } from '../../identity/customers.ts';
import type { CustomerCache } from '../customer-cache.ts';
import { parseBound } from '../../journey/filters.ts';
import type { Store } from '../../store/store.ts';
import { ERROR_SCHEMA } from '../errors.ts';

const CANDIDATE = {
  type: 'object',
  properties: {
    action_id: { type: 'string', minLength: 1, maxLength: 200 },
    kind: { type: 'string', enum: [...ACTION_KINDS] },
    product: { type: 'string', minLength: 1 },
    channel: { type: 'string', minLength: 1, maxLength: 40 },
    at: { type: 'string', description: 'when the action would go out (ISO 8601 with an offset); default now' },
    value: { type: 'number', minimum: 0 },
    propensity: { type: 'number', minimum: 0, maximum: 1 },
    intent: { type: 'string', minLength: 1, description: 'the customer goal the action serves, e.g. pay_bill' },
    direction: { type: 'string', enum: ['outbound', 'inbound'], description: 'inbound: the customer is already talking to us on this channel' },
  },
  required: ['action_id', 'kind', 'channel'],
  additionalProperties: false,
} as const;

const ERRORS = { 400: ERROR_SCHEMA, 401: ERROR_SCHEMA, 403: ERROR_SCHEMA, 404: ERROR_SCHEMA, 409: ERROR_SCHEMA, 413: ERROR_SCHEMA, 429: ERROR_SCHEMA };

export function registerEngage(app: FastifyInstance, deps: { store: Store; now: () => number; policies: Policies; cache: CustomerCache }): void {
  app.post(
    '/api/v1/engage/evaluate',
    {
      config: { access: ['agent'] },
      bodyLimit: 64 * 1024,
      schema: {
        tags: ['engage'],
        summary: 'Decide candidate actions for a customer: allow, suppress, defer or reroute, with reasons by pillar',
        body: {
          type: 'object',
          properties: {
            customer: { type: 'string', minLength: 3, description: 'type:value or a customer key' },
            candidates: { type: 'array', minItems: 1, maxItems: 100, items: CANDIDATE },
          },
          required: ['customer', 'candidates'],
          additionalProperties: false,
        },
        response: ERRORS,
      },
    },
    async (request) => {
      const body = request.body as { customer: string; candidates: Candidate[] };
      const key = await deps.cache.resolve(body.customer);
      return evaluate(deps.store, key, body.candidates, {
        policies: deps.policies,
        now: deps.now(),
        keyId: request.principal?.keyId ?? null,
        rows: (k) => deps.cache.rowsOf(k),
      });
    },
  );
  app.get(
    '/api/v1/engage/policies',
    {
      config: { access: ['analyst', 'agent'] },
      schema: { tags: ['engage'], summary: 'The engagement policies in effect (defaults merged with serve --policies)', response: ERRORS },
    },
    async () => deps.policies,
  );
  app.get(
    '/api/v1/engage/decisions',
    {
      config: { access: ['analyst'] },
      schema: {
        tags: ['engage'],
        summary: 'The decision log, newest first',
        querystring: {
          type: 'object',
          properties: {
            customer: { type: 'string', minLength: 3 },
            decision: { type: 'string', enum: ['allow', 'suppress', 'defer', 'reroute'] },
            rule: { type: 'string', minLength: 1, description: 'a rule that fired, e.g. respect.quiet_hours' },
            from: { type: 'string' },
            to: { type: 'string' },
            limit: { type: 'integer', minimum: 1, maximum: 10_000, default: 100 },
          },
          additionalProperties: false,
        },
        response: ERRORS,
      },
    },
    async (request) => {
      const q = request.query as { customer?: string; decision?: Verdict; rule?: string; from?: string; to?: string; limit?: number };
      return listDecisions(deps.store, {
        ...(q.customer !== undefined ? { customerKey: await resolveCustomer(deps.store, q.customer) } : {}),
        decision: q.decision,
        rule: q.rule,
        ...(q.from !== undefined ? { from: parseBound('from', q.from, false) } : {}),
        ...(q.to !== undefined ? { to: parseBound('to', q.to, true) } : {}),
        limit: q.limit,
      });
    },
  );
}
