/**
 * Keeps a benchmark's results in BENCHMARKS.md: one section per benchmark, its description
 * (rewritten each time so it always matches the script that produced the newest entry), then the
 * entries, newest first, below a marker line.
 */
import fs from 'node:fs';
import path from 'node:path';

const BENCHMARKS = path.resolve(import.meta.dirname, '..', 'BENCHMARKS.md');

export function recordBenchmark(section: string, how: string, marker: string, entry: string): void {
  let text = fs.existsSync(BENCHMARKS)
    ? fs.readFileSync(BENCHMARKS, 'utf8')
    : '# Benchmarks\n\nWritten by the scripts under `bench/`; each section keeps its results, newest first.\n';
  if (!text.includes(marker)) text = text.trimEnd() + `\n\n${section}\n\n${how}\n\n${marker}\n`;
  const start = text.indexOf(section);
  const at = text.indexOf(marker);
  if (start !== -1 && start < at) text = text.slice(0, start) + `${section}\n\n${how}\n\n` + text.slice(at);
  const after = text.indexOf(marker) + marker.length;
  text = text.slice(0, after) + `\n\n${entry.trim()}\n` + text.slice(after).replace(/^\n*/, '\n');
  fs.writeFileSync(BENCHMARKS, text.trimEnd() + '\n');
}
