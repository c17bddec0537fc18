/** `throughline keys create|list|revoke`: API keys for the server (docs/security.md). */
import fs from 'node:fs';
import type { Command } from 'commander';
import { AppError } from '../core/errors.ts';
import { createKey, isRole, listKeys, revokeKey, ROLES } from '../server/keys.ts';
import type { Role } from '../server/keys.ts';
import type { CommandContext } from './context.ts';
import { withStore } from './context.ts';
import { printJson, table } from './output.ts';

export function registerKeys(program: Command, ctx: CommandContext): void {
  const keys = program.command('keys').description('API keys for throughline serve: admin, analyst, agent, collector, gateway');
  keys
    .command('create')
    .description('create a key; it is shown once, only a salted hash is stored')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .option('--name <name>', 'what the key is for (shown in keys list)')
    .option('--signing-secret-file <file>', "gateway keys: the file holding the secret the gateway signs requests with (e.g. the SMS provider's auth token); without it one is made and shown once")
    .action(async (flags: { role: string; name?: string; signingSecretFile?: string }) => {
      if (!isRole(flags.role)) throw new AppError('usage', `--role ${flags.role} is not a role`, { hint: `use one of ${ROLES.join(', ')}` });
      let signingSecret: string | undefined;
      if (flags.signingSecretFile !== undefined) {
        // Read from a file, never given on the command line, where other users' `ps` would see it.
        try {
          signingSecret = fs.readFileSync(flags.signingSecretFile, 'utf8').trim();
        } catch (e) {
          throw new AppError('usage', `cannot read --signing-secret-file ${flags.signingSecretFile}: ${(e as Error).message}`);
        }
      }
      const created = await withStore(ctx, (store) => createKey(store, flags.role as Role, flags.name ?? null, Date.now(), signingSecret === undefined ? {} : { signingSecret }), { create: true });
      if (ctx.global().json) return printJson(ctx.io, created);
      ctx.io.out(
        [
          `Created ${created.role} key ${created.id}${created.name ? ` (${created.name})` : ''}.`,
          `Key: ${created.key}`,
          'Store it now: it is not shown again, only a salted hash of it is kept.',
          created.role === 'collector'
            ? 'Use it as the Segment write key (HTTP Basic user) or as Authorization: Bearer <key>.'
            : created.role === 'gateway'
              ? 'The SMS gateway sends it as Authorization: Bearer <key> (or as the HTTP Basic user) and signs each request with the signing secret (X-Twilio-Signature; docs/security.md).'
              : 'Send it as Authorization: Bearer <key>.',
          ...(created.signing_secret !== undefined ? [`Signing secret: ${created.signing_secret}`, 'Give it to the gateway with the key; it is not shown again.'] : []),
        ].join('\n'),
      );
    });
  keys
    .command('list')
    .description('list keys (never the keys themselves)')
    .action(async () => {
      const list = await withStore(ctx, (store) => listKeys(store));
      if (ctx.global().json) return printJson(ctx.io, list);
      if (list.length === 0) return ctx.io.out('No API keys. Create one with: throughline keys create --role admin');
      ctx.io.out(table(['id', 'role', 'name', 'created', 'revoked'], list.map((k) => [k.id, k.role, k.name ?? '', k.created_at, k.revoked_at ?? ''])));
    });
  keys
    .command('revoke')
    .description('revoke a key by its id (while the server runs, it holds the database: use DELETE /api/v1/keys/ID)')
    .argument('<id>', 'the key id (keys list)')
    .action(async (id: string) => {
      const revoked = await withStore(ctx, (store) => revokeKey(store, id, Date.now()));
      if (ctx.global().json) return printJson(ctx.io, revoked);
      ctx.io.out(`Revoked ${revoked.role} key ${revoked.id}${revoked.name ? ` (${revoked.name})` : ''}.`);
    });
}
