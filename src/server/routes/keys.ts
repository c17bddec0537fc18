/**
 * Key management over HTTP for admins: while the server runs it owns the database, so this is
 * how keys are created and revoked without stopping it (the CLI's `keys` commands need the file).
 */
import type { FastifyInstance } from 'fastify';
import type { Store } from '../../store/store.ts';
import { ERROR_SCHEMA } from '../errors.ts';
import { createKey, listKeys, revokeKey, ROLES } from '../keys.ts';
import type { Role } from '../keys.ts';

const ERRORS = { 400: ERROR_SCHEMA, 401: ERROR_SCHEMA, 403: ERROR_SCHEMA, 404: ERROR_SCHEMA, 429: ERROR_SCHEMA };

export function registerKeys(app: FastifyInstance, deps: { store: Store; now: () => number }): void {
  app.get(
    '/api/v1/me',
    {
      config: { access: ['analyst', 'agent', 'collector', 'gateway'] },
      schema: {
        tags: ['keys'],
        summary: 'The key making the request: its id, role and name (what a client shows and enables)',
        response: { 200: { type: 'object', properties: { id: { type: 'string' }, role: { type: 'string' }, name: { type: ['string', 'null'] } } }, ...ERRORS },
      },
    },
    async (request) => ({ id: request.principal!.keyId, role: request.principal!.role, name: request.principal!.name }),
  );
  app.get('/api/v1/keys', { config: { access: [] }, schema: { tags: ['keys'], summary: 'throughline keys list --json', response: ERRORS } }, () => listKeys(deps.store));
  app.post(
    '/api/v1/keys',
    {
      config: { access: [] },
      schema: {
        tags: ['keys'],
        summary: 'throughline keys create --json: the key is in this answer only',
        body: {
          type: 'object',
          properties: {
            role: { type: 'string', enum: [...ROLES] },
            name: { type: 'string', minLength: 1, maxLength: 200 },
            signing_secret: { type: 'string', minLength: 16, maxLength: 200, description: 'gateway keys: the secret the gateway signs with (made when left out)' },
          },
          required: ['role'],
          additionalProperties: false,
        },
        response: {
          201: {
            type: 'object',
            properties: { id: { type: 'string' }, role: { type: 'string' }, name: { type: ['string', 'null'] }, key: { type: 'string' }, signing_secret: { type: 'string' } },
          },
          ...ERRORS,
        },
      },
    },
    async (request, reply) => {
      const body = request.body as { role: Role; name?: string; signing_secret?: string };
      const created = await createKey(deps.store, body.role, body.name ?? null, deps.now(), body.signing_secret === undefined ? {} : { signingSecret: body.signing_secret });
      void reply.code(201);
      return created;
    },
  );
  app.delete(
    '/api/v1/keys/:id',
    {
      config: { access: [] },
      schema: {
        tags: ['keys'],
        summary: 'throughline keys revoke ID',
        params: { type: 'object', properties: { id: { type: 'string', pattern: '^[0-9a-f]{12}$' } }, required: ['id'] },
        response: ERRORS,
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      // revokeKey announces it: this server and every other forget the key's cached verification.
      return revokeKey(deps.store, id, deps.now());
    },
  );
}
