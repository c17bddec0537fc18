/**
 * Buffered, backpressure-aware file output and RFC 4180 cells. The generator produces rows far
 * faster than a disk takes them, so it appends to a memory buffer and awaits the stream's
 * `drain` between customers: memory stays bounded by the buffer, not by the dataset.
 */
import { createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { once } from 'node:events';

const NEEDS_QUOTES = /[",\r\n]/;

/** A CSV cell: quoted only when it holds a comma, a quote or a line break (RFC 4180). */
export function csvCell(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

export function csvRow(cells: readonly string[]): string {
  let line = '';
  for (let i = 0; i < cells.length; i++) {
    if (i > 0) line += ',';
    line += csvCell(cells[i] ?? '');
  }
  return `${line}\n`;
}

const FLUSH_AT = 1 << 16;

export class Sink {
  readonly path: string;
  /** Data rows written (not counting a CSV header). */
  records = 0;
  private readonly stream: WriteStream;
  private parts: string[] = [];
  private size = 0;
  private failure: Error | undefined;

  constructor(path: string) {
    this.path = path;
    this.stream = createWriteStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 });
    // Without a listener an I/O error would crash the process; keep it and rethrow at the next await.
    this.stream.on('error', (e: Error) => {
      this.failure = e;
    });
  }

  write(text: string): void {
    this.parts.push(text);
    this.size += text.length;
  }

  /** Hands the buffer to the stream once it is large, waiting while the stream is full. */
  async relieve(): Promise<void> {
    if (this.size >= FLUSH_AT) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.size === 0) return;
    const chunk = this.parts.join('');
    this.parts = [];
    this.size = 0;
    if (!this.stream.write(chunk)) await once(this.stream, 'drain');
  }

  async close(): Promise<void> {
    await this.flush();
    await new Promise<void>((resolve, reject) => {
      this.stream.end(() => (this.failure ? reject(this.failure) : resolve()));
    });
  }
}
