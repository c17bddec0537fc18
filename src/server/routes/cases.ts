/**
 * Working a closed-loop case over HTTP, as `throughline cases show|contact|resolve|close` do:
 * the people who call customers back (agent keys) record the contact and the resolution with
 * its confirmed root cause. Each answer is the case as `cases show --json` prints it.
 */
import type { FastifyInstance } from 'fastify';
import { closeCase, contactCase, resolveCase, showCase } from '../../feedback/index.ts';
import type { Store } from '../../store/store.ts';
import { ERROR_SCHEMA } from '../errors.ts';

const ERRORS = { 400: ERROR_SCHEMA, 401: ERROR_SCHEMA, 403: ERROR_SCHEMA, 404: ERROR_SCHEMA, 409: ERROR_SCHEMA, 429: ERROR_SCHEMA };
const ID = { type: 'object', properties: { id: { type: 'string', minLength: 1 } }, required: ['id'] } as const;

export function registerCases(app: FastifyInstance, deps: { store: Store; now: () => number }): void {
  app.get(
    '/api/v1/cases/:id',
    {
      config: { access: ['agent', 'analyst'] },
      schema: { tags: ['cases'], summary: 'throughline cases show ID --json: one case with its answers and history', params: ID, response: ERRORS },
    },
    async (request) => showCase(deps.store, (request.params as { id: string }).id, deps.now()),
  );
  const actor = (name: string | null | undefined, keyId: string | undefined): string | undefined => name ?? (keyId === undefined ? undefined : `key ${keyId}`);
  app.post(
    '/api/v1/cases/:id/contact',
    {
      config: { access: ['agent'] },
      schema: {
        tags: ['cases'],
        summary: 'throughline cases contact ID --note TEXT: record a contact (open → contacted)',
        params: ID,
        body: { type: 'object', properties: { note: { type: 'string', minLength: 1, maxLength: 4000 }, by: { type: 'string', maxLength: 200 } }, required: ['note'], additionalProperties: false },
        response: ERRORS,
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const body = request.body as { note: string; by?: string };
      await deps.store.transaction((tx) => contactCase(tx, id, body.note, { now: deps.now(), actor: actor(body.by, request.principal?.keyId) }));
      return showCase(deps.store, id, deps.now());
    },
  );
  for (const verb of ['resolve', 'close'] as const) {
    app.post(
      `/api/v1/cases/:id/${verb}`,
      {
        config: { access: ['agent'] },
        schema: {
          tags: ['cases'],
          summary: `throughline cases ${verb} ID: ${verb === 'resolve' ? 'the loop is closed with the customer' : 'close the case (a resolved one keeps its resolution)'}`,
          params: ID,
          body: {
            type: 'object',
            properties: {
              root_cause: { type: 'string', minLength: 1, maxLength: 400, description: 'the confirmed root cause, e.g. web:pay_bill/submit_payment' },
              issue_resolved: { type: 'boolean', description: "was the customer's issue resolved?" },
              note: { type: 'string', maxLength: 4000 },
              by: { type: 'string', maxLength: 200 },
            },
            additionalProperties: false,
          },
          response: ERRORS,
        },
      },
      async (request) => {
        const { id } = request.params as { id: string };
        const body = (request.body ?? {}) as { root_cause?: string; issue_resolved?: boolean; note?: string; by?: string };
        const resolution = { rootCause: body.root_cause, issueResolved: body.issue_resolved, note: body.note };
        const ctx = { now: deps.now(), actor: actor(body.by, request.principal?.keyId) };
        await deps.store.transaction((tx) => (verb === 'resolve' ? resolveCase : closeCase)(tx, id, resolution, ctx));
        return showCase(deps.store, id, deps.now());
      },
    );
  }
}
