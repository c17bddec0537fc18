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
  /** The terminal's width when stdout is one; tables are cut to fit it unless --wide. */
  readonly columns?: number | undefined;
}

export const processIo: Io = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : t + '\n'),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : t + '\n'),
  stderrIsTty: Boolean(process.stderr.isTTY),
  get columns() {
    return process.stdout.isTTY ? process.stdout.columns : undefined;
  },
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

let tableWidth: number | null = null;

/**
 * How wide tables may be: a terminal's width (set once per command from `--wide` and the
 * terminal), or null for no limit (`--wide`, or output to a pipe or file).
 */
export function fitTablesTo(width: number | null): void {
  tableWidth = width !== null && width > 0 ? width : null;
}

/** The narrowest a text column is cut to: wider than a typical id, so what stays is readable. */
const MIN_CUT_WIDTH = 12;

/**
 * A plain text table: header, a rule, rows; numbers right-aligned. Wider than the terminal, its
 * widest text columns are cut (ending in "…") until it fits; numbers are never cut.
 */
export function table(headers: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const cells = rows.map((r) => r.map((v) => (v === null || v === undefined ? '' : typeof v === 'number' ? fmtNum(v) : String(v))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number' || r[i] === null));
  if (tableWidth !== null) {
    let excess = widths.reduce((a, w) => a + w, 0) + 2 * (widths.length - 1) - tableWidth;
    while (excess > 0) {
      let widest = -1;
      for (let i = 0; i < widths.length; i++) {
        if (!numeric[i] && widths[i]! > MIN_CUT_WIDTH && (widest === -1 || widths[i]! > widths[widest]!)) widest = i;
      }
      if (widest === -1) break;
      const cut = Math.min(excess, widths[widest]! - MIN_CUT_WIDTH);
      widths[widest]! -= cut;
      excess -= cut;
    }
  }
  const fit = (v: string, i: number): string => (v.length > widths[i]! ? v.slice(0, widths[i]! - 1) + '…' : v);
  const line = (vals: readonly string[]): string =>
    vals.map((v, i) => (numeric[i] ? fit(v, i).padStart(widths[i]!) : fit(v, i).padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

function fmtNum(v: number): string {
  return Number.isInteger(v) ? fmtInt(v) : v.toFixed(Math.abs(v) < 1 ? 3 : 2);
}

/**
 * A whole-number option from 1 to `max`: anything else (0, -1, 2.5, 1e308, "ten") is a usage
 * error that names the range, before it reaches an analysis or SQL.
 */
export function positiveInt(name: string, max = 1_000_000) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\s*\d+\s*$/.test(v) || !Number.isSafeInteger(n) || n < 1 || n > max) {
      throw new AppError('usage', `${name} must be a whole number from 1 to ${max.toLocaleString('en-US')}, not "${v}"`);
    }
    return n;
  };
}
