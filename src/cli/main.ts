/**
 * The command line: one file per command, each thin (parse → call the domain → print → exit
 * code). Errors become a one-line message on stderr and the exit codes of spec/CLI.md.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { loadConfig } from '../config/index.ts';
import { exitCodeFor, isAppError } from '../core/errors.ts';
import { setDefaultPhoneRegion } from '../identity/normalize.ts';
import type { CommandContext, GlobalOptions } from './context.ts';
import { registerCustomers } from './customers.ts';
import { registerDeadLetter } from './deadletter.ts';
import { registerDemo } from './demo.ts';
import { registerExport } from './export.ts';
import { registerImport } from './import.ts';
import { registerJourneys } from './journeys.ts';
import { registerMap } from './map.ts';
import { registerVariants } from './variants.ts';
import { registerBroken } from './broken.ts';
import { registerMetrics } from './metrics.ts';
import { registerCases } from './cases.ts';
import { registerSurveys } from './surveys.ts';
import { registerFeedback } from './feedback.ts';
import { registerServe } from './serve.ts';
import { registerKeys } from './keys.ts';
import { registerContext } from './customer-context.ts';
import { registerAgents } from './agents.ts';
import { registerDrivers } from './drivers.ts';
import { registerRisk } from './risk.ts';
import { registerPromises } from './promises.ts';
import { registerTeams } from './teams.ts';
import { registerOutbound } from './outbound.ts';
import { fitTablesTo, processIo } from './output.ts';
import type { Io } from './output.ts';

/** The version in package.json: the one place it is written. */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export async function run(argv: readonly string[], io: Io = processIo): Promise<number> {
  let exitCode = 0;
  const program = new Command('throughline');
  program
    .description('Customer-journey intelligence: stitch identities, build journeys, find what breaks.')
    .option('--db <location>', 'DuckDB file or postgres:// URL (default ./throughline.duckdb, or THROUGHLINE_DB)')
    .option('--phone-region <code>', 'country a phone number without a country code is in (default US, or THROUGHLINE_PHONE_REGION)')
    .option('--json', 'print one JSON document on stdout')
    .option('-v, --verbose', 'say more on stderr')
    .option('--wide', 'print tables at full width (by default they are cut to fit the terminal)')
    .version(packageVersion(), '-V, --version', 'print the version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .showHelpAfterError('(run throughline --help for usage)')
    .hook('preAction', () => fitTablesTo(program.opts<GlobalOptions>().wide ? null : (io.columns ?? null)));

  try {
    const ctx: CommandContext = { io, config: loadConfig(), global: () => program.opts<GlobalOptions>() };
    // Before any command opens a store: migration 9 and every import and lookup read phones in it.
    program.hook('preAction', () => setDefaultPhoneRegion(ctx.global().phoneRegion ?? ctx.config.phoneRegion));
    registerImport(program, ctx, (c) => (exitCode = c));
    registerCustomers(program, ctx);
    registerExport(program, ctx);
    registerDemo(program, ctx);
    registerJourneys(program, ctx);
    registerMap(program, ctx);
    registerVariants(program, ctx);
    registerBroken(program, ctx);
    registerMetrics(program, ctx);
    registerCases(program, ctx);
    registerSurveys(program, ctx);
    registerFeedback(program, ctx);
    registerServe(program, ctx);
    registerKeys(program, ctx);
    registerDeadLetter(program, ctx);
    registerContext(program, ctx);
    registerAgents(program, ctx);
    registerDrivers(program, ctx);
    registerRisk(program, ctx);
    registerPromises(program, ctx);
    registerTeams(program, ctx);
    registerOutbound(program, ctx);
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version exit 0; anything else commander rejects is a bad invocation.
      return e.exitCode === 0 ? 0 : 2;
    }
    if (isAppError(e)) {
      io.err(`throughline: ${e.message}${e.hint ? ` (${e.hint})` : ''}`);
      return exitCodeFor(e.code);
    }
    io.err(`throughline: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return 1;
  }
}

/**
 * The program as a process runs it: `throughline … | head` closes stdout early, and the write
 * that finds it closed must end the command quietly, not print a stack trace about EPIPE.
 */
export async function main(argv: readonly string[]): Promise<void> {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(process.exitCode ?? 0);
  });
  process.exitCode = await run(argv);
}

// `tsx src/cli/main.ts` (npm run throughline); bin/throughline.js calls main() itself.
if (process.argv[1] !== undefined && import.meta.filename === realpathSync(process.argv[1])) {
  await main(process.argv.slice(2));
}
