/**
 * One customer at a time: `customers show` and the live context, by any identifier written
 * `type:value` (`phone:5551234567`) or by customer key. These are what an agent's screen calls
 * while the customer is on the line, so agent keys may read them.
 */
import type { FastifyInstance } from 'fastify';
import { customerContext } from '../../engage/index.ts';
import type { Policies } from '../../engage/index.ts';
import { customerSummary } from '../../identity/customers.ts';
import type { Store } from '../../store/store.ts';
import type { CustomerCache } from '../customer-cache.ts';
import { ERROR_SCHEMA } from '../errors.ts';

const PARAMS = {
  type: 'object',
  properties: { id: { type: 'string', minLength: 3, description: 'type:value (phone:5551234567, email:a@b.com, customer_id:C1, …), a bare phone number in any spelling (215-206-3996), or a customer key' } },
  required: ['id'],
} as const;

const ERRORS = { 400: ERROR_SCHEMA, 401: ERROR_SCHEMA, 403: ERROR_SCHEMA, 404: ERROR_SCHEMA, 409: ERROR_SCHEMA, 429: ERROR_SCHEMA };

export function registerCustomers(app: FastifyInstance, deps: { store: Store; now: () => number; policies: Policies; cache: CustomerCache }): void {
  app.get(
    '/api/v1/customers/:id',
    {
      config: { access: ['agent'] },
      schema: { tags: ['customers'], summary: 'throughline customers show ID --json', params: PARAMS, response: ERRORS },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      return customerSummary(deps.store, await deps.cache.resolve(id));
    },
  );
  app.get(
    '/api/v1/customers/:id/context',
    {
      config: { access: ['agent'] },
      schema: {
        tags: ['customers'],
        summary: 'throughline context ID --json: the live customer context',
        description:
          'Who the customer is, open journeys with their last steps and failures in plain words, recent feedback and open cases, promises, preferred channel, risk with reasons, talking points for the agent, and the offers that must not be made now and why (docs/engagement.md).',
        params: PARAMS,
        querystring: { type: 'object', properties: { recent: { type: 'integer', minimum: 1, maximum: 100, default: 10 } }, additionalProperties: false },
        response: ERRORS,
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const { recent } = request.query as { recent?: number };
      const key = await deps.cache.resolve(id);
      return customerContext(deps.store, key, {
        now: deps.now(),
        policies: deps.policies,
        rows: (k) => deps.cache.rowsOf(k),
        ...(recent !== undefined ? { recent } : {}),
      });
    },
  );
}
