/**
 * Printing for commands: one JSON document on stdout with --json, readable tables otherwise.
 * Progress and warnings go to stderr so that stdout stays parseable.
 */
import { createRequire } from 'node:module';
import type * as CliProgress from 'cli-progress';
import type { Options, SingleBar } from 'cli-progress';
import { AppError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';

const requireOnUse = createRequire(import.meta.url);

/** A progress bar, its library loaded on first use: only an import or a demo on a terminal draws one. */
export function progressBar(options: Options): SingleBar {
  const { SingleBar: Bar } = requireOnUse('cli-progress') as typeof CliProgress;
  return new Bar(options);
}

export interface Io {
  out(text: string): void;
  err(text: string): void;
  readonly stderrIsTty: boolean;
}

export const processIo: Io = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : t + '\n'),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : t + '\n'),
  stderrIsTty: Boolean(process.stderr.isTTY),
};

export function stderrLogger(io: Io, verbose: boolean): Logger {
  return { info: (m) => (verbose ? io.err(m) : undefined), warn: (m) => io.err(`warning: ${m}`) };
}

export function printJson(io: Io, doc: unknown): void {
  io.out(JSON.stringify(doc, null, 2));
}

export function fmtInt(n: number): string {
  return n.toLocaleString('en-US');
}

/** A plain text table: header, a rule, rows; numbers right-aligned. */
export function table(headers: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const cells = rows.map((r) => r.map((v) => (v === null || v === undefined ? '' : typeof v === 'number' ? fmtNum(v) : String(v))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number' || r[i] === null));
  const line = (vals: readonly string[]): string =>
    vals.map((v, i) => (numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

function fmtNum(v: number): string {
  return Number.isInteger(v) ? fmtInt(v) : v.toFixed(Math.abs(v) < 1 ? 3 : 2);
}

export function positiveInt(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new AppError('usage', `${name} must be a positive whole number, not "${v}"`);
    return n;
  };
}
