/** `throughline deadletter list`: collected records a merge could not take, set aside (docs/collector.md). */
import type { Command } from 'commander';
import { listDeadLetters } from '../server/dead-letters.ts';
import type { CommandContext } from './context.ts';
import { withStore } from './context.ts';
import { fmtInt, printJson, table } from './output.ts';

export function registerDeadLetter(program: Command, ctx: CommandContext): void {
  const deadletter = program.command('deadletter').description("collected records the store refused at merge time, set aside so the rest merged (the server's /healthz counts them)");
  deadletter
    .command('list')
    .description('list the dead letters, oldest first, with the record and what the store said')
    .action(async () => {
      const letters = await withStore(ctx, (store) => listDeadLetters(store));
      if (ctx.global().json) return printJson(ctx.io, letters);
      if (letters.length === 0) return ctx.io.out('No dead letters: every collected record that passed validation was merged.');
      ctx.io.out(
        [
          `${fmtInt(letters.length)} collected records were set aside because the store refused them; fix the cause and send them again (their ids make a re-send safe).`,
          '',
          table(
            ['set aside', 'kind', 'id', 'request line', 'reason'],
            letters.map((l) => [l.set_aside_at.slice(0, 19).replace('T', ' '), l.kind, String(l.fields.event_id ?? l.fields.response_id ?? l.fields.promise_id ?? '-'), l.line, l.reason.split('\n')[0]!.slice(0, 100)]),
          ),
        ].join('\n'),
      );
    });
}
