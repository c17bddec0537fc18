/**
 * The reject file: one JSON line `{file, line, reason, record}` per record that breaks the
 * contract. Opened on the first reject only, so a clean import leaves no file behind; and a
 * file an earlier run left at the same path is removed then, so it never passes for this run's.
 */
import fs from 'node:fs';
import path from 'node:path';

/**
 * A reject reason without the record's own values, so that rejects can be counted by kind:
 * `ts: timestamp "x" is out of range` → `ts: timestamp is out of range`.
 */
export function reasonKind(reason: string): string {
  return (
    reason
      .split(';')[0]!
      .replace(/"[^"]*"/g, '')
      .replace(/\s+/g, ' ')
      .trim() || reason
  );
}

export class RejectWriter {
  private fd: number | null = null;
  private count = 0;
  private buffer: string[] = [];
  /** Rejects by reason without the record's own values, for the import summary. */
  readonly reasons = new Map<string, number>();

  constructor(readonly path: string) {}

  write(file: string, line: number, reason: string, record: unknown): void {
    this.buffer.push(JSON.stringify({ file, line, reason, record }) + '\n');
    this.count++;
    const kind = reasonKind(reason);
    this.reasons.set(kind, (this.reasons.get(kind) ?? 0) + 1);
    if (this.buffer.length >= 1000) this.flush();
  }

  get rejected(): number {
    return this.count;
  }

  flush(): void {
    if (this.buffer.length === 0) return;
    if (this.fd === null) {
      fs.mkdirSync(path.dirname(this.path), { recursive: true });
      this.fd = fs.openSync(this.path, 'w');
    }
    fs.writeSync(this.fd, this.buffer.join(''));
    this.buffer = [];
  }

  close(): void {
    this.flush();
    if (this.fd !== null) fs.closeSync(this.fd);
    else if (this.count === 0) fs.rmSync(this.path, { force: true });
    this.fd = null;
  }
}

/** Where rejects of `input` go by default: beside it, or in the working directory if that is read-only. */
export function defaultRejectsPath(input: string): string {
  const base = path.basename(input).replace(/(\.gz)?$/, '') + '.rejects.jsonl';
  const beside = path.join(path.dirname(path.resolve(input)), base);
  try {
    fs.accessSync(path.dirname(beside), fs.constants.W_OK);
    return beside;
  } catch {
    return path.resolve(base);
  }
}
