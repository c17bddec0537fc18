/** `throughline export events|messages`: the stored interactions (with customer keys and journeys) or messages. */
import type { Command } from 'commander';
import { AppError } from '../core/errors.ts';
import { EXPORT_FORMATS, exportEvents, exportMessages, openOutput } from '../ingest/export.ts';
import type { ExportFormat } from '../ingest/export.ts';
import type { CommandContext } from './context.ts';
import { withStore } from './context.ts';
import { fmtInt } from './output.ts';

export function registerExport(program: Command, ctx: CommandContext): void {
  const exp = program.command('export').description('export stored records');
  exp
    .command('events')
    .description('every interaction as imported, plus customer_key and journey_id')
    .option('--format <format>', `${EXPORT_FORMATS.join(', ')} (xes: one trace per journey, for pm4py, Disco or ProM)`, 'jsonl')
    .option('--out <file>', 'write here instead of stdout')
    .action(async (flags: { format: string; out?: string }) => {
      if (!(EXPORT_FORMATS as readonly string[]).includes(flags.format)) {
        throw new AppError('usage', `--format ${flags.format} is not an export format`, { hint: `use ${EXPORT_FORMATS.join(', ')}` });
      }
      const n = await withStore(ctx, async (store) => {
        const out = openOutput(flags.out);
        const count = await exportEvents(store, flags.format as ExportFormat, out.stream);
        await out.done();
        return count;
      });
      if (flags.out !== undefined) ctx.io.err(`Exported ${fmtInt(n)} events to ${flags.out}`);
    });
  exp
    .command('messages')
    .description('every message as imported, plus customer_key (an agent turn: its conversation\'s customer)')
    .option('--format <format>', 'jsonl or csv', 'jsonl')
    .option('--out <file>', 'write here instead of stdout')
    .action(async (flags: { format: string; out?: string }) => {
      if (flags.format !== 'jsonl' && flags.format !== 'csv') {
        throw new AppError('usage', `--format ${flags.format} is not an export format`, { hint: 'use jsonl or csv' });
      }
      const n = await withStore(ctx, async (store) => {
        const out = openOutput(flags.out);
        const count = await exportMessages(store, flags.format as ExportFormat, out.stream);
        await out.done();
        return count;
      });
      if (flags.out !== undefined) ctx.io.err(`Exported ${fmtInt(n)} messages to ${flags.out}`);
    });
}
