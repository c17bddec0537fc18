/**
 * What every benchmark prints and records the same way: numbers, Markdown tables, the machine it
 * ran on and the command that ran it.
 */
import fs from 'node:fs';
import os from 'node:os';
import { version as duckdbVersion } from '@duckdb/node-api';

export const fmt = (n: number, digits = 1): string => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
export const int = (n: number): string => Math.round(n).toLocaleString('en-US');

/** A Markdown table; `right` says which columns are numbers (default: all but the first). */
export function table(headers: readonly string[], rows: readonly (readonly string[])[], right: readonly boolean[] = headers.map((_, i) => i > 0)): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const cell = (s: string, i: number): string => (right[i] ? s.padStart(widths[i]!) : s.padEnd(widths[i]!));
  const line = (cells: readonly string[]): string => `| ${cells.map(cell).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (right[i] ? '-'.repeat(w + 1) + ':' : '-'.repeat(w + 2))).join('|')}|`;
  return [line(headers), rule, ...rows.map(line)].join('\n');
}

function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) return m[1]!.trim();
  } catch {
    // not Linux: fall back to what Node knows
  }
  return os.cpus()[0]?.model ?? 'unknown';
}

/** Load average when the run started: on a shared 2-core machine it explains most of the spread. */
const startLoad = os.loadavg()[0]!;

export function machine(): string {
  return (
    `${os.availableParallelism()} cores (${cpuModel()}), ${fmt(os.totalmem() / 1024 ** 3)} GiB RAM, ` +
    `Node ${process.version}, DuckDB ${duckdbVersion()}, ${os.type()} ${os.release()}; load average ${fmt(startLoad, 2)} at start`
  );
}

/** How this run was started, as a reader would repeat it: `npm run bench:X -- ARGS` or `npx tsx bench/X.ts ARGS`. */
export function command(npmScript: string, file: string): string {
  const args = process.argv.slice(2).join(' ');
  if (process.env.npm_lifecycle_event === npmScript) return `npm run ${npmScript}${args ? ` -- ${args}` : ''}`;
  return `npx tsx ${file}${args ? ` ${args}` : ''}`;
}
