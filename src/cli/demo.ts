/** `throughline demo`: write a generated dataset in the data contract and say what it planted. */
import type { Command } from 'commander';
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../core/errors.ts';
import { DEFAULT_TAXONOMY } from '../feedback/taxonomy.ts';
import type { CommandContext } from './context.ts';
import { fmtInt, progressBar, positiveInt, printJson } from './output.ts';

/** The demo's comment taxonomy, written beside its data. */
export const DEMO_TAXONOMY_FILE = 'taxonomy.json';

export const DEMO_DEFAULTS = { customers: 2000, days: 90, seed: 7, out: './throughline-demo' } as const;

/** The end of the demo period: the start of the current UTC day, so the data looks recent. */
export function demoEnd(text?: string): Date {
  if (text === undefined) {
    const now = new Date();
    return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  }
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) throw new AppError('usage', `--end "${text}" is not a date`, { hint: 'write it as 2026-06-30' });
  return d;
}

export function registerDemo(program: Command, ctx: CommandContext): void {
  program
    .command('demo')
    .description('write a realistic telecom demo dataset in the data contract, and print what it planted')
    .option('--customers <n>', 'number of customers', positiveInt('--customers', 10_000_000), DEMO_DEFAULTS.customers)
    .option('--days <d>', 'length of the period in days', positiveInt('--days', 3660), DEMO_DEFAULTS.days)
    .option('--seed <s>', 'random seed: the same seed and end give the same files', positiveInt('--seed', 2 ** 31 - 1), DEMO_DEFAULTS.seed)
    .option('--end <date>', 'end of the period (default: today, UTC)')
    .option('--out <dir>', 'folder to write', DEMO_DEFAULTS.out)
    .action(async (flags: { customers: number; days: number; seed: number; end?: string; out: string }) => {
      // Loaded on use: the generator is not needed by any other command.
      const { describePlanted, writeDemo } = await import('../demo/index.ts');
      const json = Boolean(ctx.global().json);
      const bar = ctx.io.stderrIsTty && !json ? progressBar({ format: 'demo |{bar}| {value}/{total} customers', stream: process.stderr, clearOnComplete: true }) : null;
      bar?.start(flags.customers, 0);
      const result = await writeDemo(
        flags.out,
        { customers: flags.customers, days: flags.days, seed: flags.seed, end: demoEnd(flags.end) },
        (done: number) => bar?.update(done),
      ).finally(() => bar?.stop());
      // The demo's telecom topics, as a taxonomy file: a store takes it with `feedback taxonomy`
      // (npm start does); without it, topics are discovered from the comments.
      const taxonomy = path.join(result.dir, DEMO_TAXONOMY_FILE);
      fs.writeFileSync(taxonomy, `${JSON.stringify(DEFAULT_TAXONOMY, null, 2)}\n`);
      if (json) return printJson(ctx.io, { ...result, taxonomy });
      ctx.io.out(
        [
          `Wrote ${Object.values(result.files)
            .map((f) => `${fmtInt(f.records)} ${f.path.split('/').pop()}`)
            .join(', ')} to ${result.dir}`,
          '',
          'What this demo planted (the analyses should find it):',
          ...describePlanted(result.planted).map((l) => `  - ${l}`),
          '',
          `Import it with: throughline import ${Object.values(result.files)
            .map((f) => f.path)
            .join(' ')}`,
          `(truth.json and truth_identity.csv beside them are the answers, not input data.)`,
          `Then, for the demo's telecom comment topics rather than topics discovered from the comments:`,
          `  throughline feedback taxonomy ${taxonomy}`,
        ].join('\n'),
      );
    });
}
