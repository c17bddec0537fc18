/**
 * The collector's write-ahead journal: an append-only log of JSON lines in a directory of its
 * own, in segment files named by the global byte offset of their first byte. A position is one
 * number (a byte offset into the whole log) so a consumer can store how far it got in one value.
 * `append` resolves once the line is on disk (fdatasync); appends that arrive while a write and
 * its sync run go into the next write, so one sync covers everything that arrived meanwhile and
 * throughput does not follow the disk's sync latency. One process at a time: a lock file names
 * the holder.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AppError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';

export interface JournalOptions {
  /** A segment this large is closed and the next append starts a new one. */
  readonly segmentBytes: number;
  /**
   * Sync every write to disk before acknowledging it. Off only for a journal nobody replays (a
   * temporary one, whose records are acknowledged after the merge instead).
   */
  readonly sync: boolean;
  readonly logger: Logger;
}

export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;

/** What recovery found past the position it started from. */
export interface Recovery {
  /**
   * Where the lines handed over begin: the position recovery started from, or the journal's
   * first byte if it starts later (its older segments deleted by hand).
   */
  readonly start: number;
  /** Where the journal continues (the end of its last complete line). */
  readonly end: number;
  readonly lines: number;
  /** Bytes of an incomplete last write that were cut off (a crash during an append), 0 if none. */
  readonly tornBytes: number;
}

interface Segment {
  readonly start: number;
  readonly file: string;
}

interface Pending {
  readonly buf: Buffer;
  readonly resolve: (end: number) => void;
  readonly reject: (e: unknown) => void;
}

const SEGMENT = /^(\d{20})\.jsonl$/;
const LOCK = 'lock';
const ID = 'id';

const segmentName = (start: number): string => `${String(start).padStart(20, '0')}.jsonl`;

/** Whether a process with this id exists (EPERM: it does, it is just not ours). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Makes a created or renamed directory entry survive a crash (a file's own sync does not). */
function syncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export class Journal {
  /** Identifies this journal in the store (`settings`), so several servers' journals never mix. */
  readonly id: string;
  private segments: Segment[] = [];
  private handle: fsp.FileHandle | null = null;
  /** End of the last line on disk; what a reader may read up to. */
  private durable = 0;
  private queue: Pending[] = [];
  private writing: Promise<void> | null = null;
  private failure: unknown = null;
  private recovered = false;
  /** The last segment ends before `durable` (see `recover`): the next write starts a new one. */
  private detached = false;
  private closed = false;
  /** Writes (each followed by one sync) since open: fewer than appends when appends arrive together. */
  private writes = 0;

  private constructor(
    readonly dir: string,
    private readonly options: JournalOptions,
    id: string,
  ) {
    this.id = id;
  }

  /**
   * Opens (creating if needed) the journal in `dir` and takes its lock. Call `recover` before
   * appending or reading.
   */
  static open(dir: string, options: JournalOptions): Journal {
    try {
      // Owner only: the journal holds customer events in clear, as the database does.
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (e) {
      throw new AppError('usage', `cannot create the journal directory ${dir}: ${(e as Error).message}`, { hint: 'pass a writable directory with --journal', cause: e });
    }
    lock(dir);
    try {
      return new Journal(dir, options, readId(dir));
    } catch (e) {
      unlock(dir);
      throw e;
    }
  }

  /** How many writes (and syncs) appends have taken since open. */
  get syncs(): number {
    return this.writes;
  }

  /** A write or sync failed: nothing more is appended until the process restarts. */
  get failed(): boolean {
    return this.failure !== null;
  }

  /** End of everything appended and synced. */
  get end(): number {
    return this.durable;
  }

  /** Offset of the oldest byte still kept. */
  get start(): number {
    return this.segments[0]?.start ?? this.durable;
  }

  /**
   * Finds where the journal ends and hands every complete line past `from` (the position the
   * consumer has committed) to `onLine` with the positions before and after it. A last write
   * cut short by a crash (no newline, or not JSON) was never acknowledged: it is cut off, logged
   * and counted in the result. A bad line anywhere else is damage no crash explains, and
   * recovery stops with an error instead of skipping acknowledged data. Segments wholly before
   * `from` are deleted.
   */
  async recover(from: number, onLine: (value: unknown, start: number, end: number) => void): Promise<Recovery> {
    if (this.recovered) throw new Error('the journal is already recovered');
    this.segments = fs
      .readdirSync(this.dir)
      .map((f) => SEGMENT.exec(f))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ start: Number(m[1]), file: path.join(this.dir, m[0]) }))
      .sort((a, b) => a.start - b.start);
    const last = this.segments.at(-1);
    let end = last === undefined ? from : last.start + fs.statSync(last.file).size;
    let lines = 0;
    let tornBytes = 0;
    const first = this.segments[0];
    const begin = first !== undefined && from < first.start ? first.start : from;
    if (begin > from) {
      this.options.logger.warn(
        `journal ${this.dir}: the store has merged up to byte ${from} but the journal starts at ${first.start}; records in between are no longer in the journal (were its segments deleted by hand, or the database restored from an older copy?)`,
      );
    }
    for (let i = 0; i < this.segments.length; i++) {
      const seg = this.segments[i]!;
      const segEnd = i + 1 < this.segments.length ? this.segments[i + 1]!.start : end;
      if (segEnd <= from) continue;
      const isLast = i === this.segments.length - 1;
      const offset = Math.max(0, from - seg.start);
      const text = fs.readFileSync(seg.file).subarray(offset);
      let at = 0;
      while (at < text.length) {
        const nl = text.indexOf(0x0a, at);
        let value: unknown = undefined;
        let ok = nl !== -1;
        if (ok) {
          try {
            value = JSON.parse(text.toString('utf8', at, nl));
          } catch {
            ok = false;
          }
        }
        if (!ok) {
          const pos = seg.start + offset + at;
          if (!isLast) {
            throw new AppError('input', `journal ${seg.file} is damaged at byte ${offset + at}: a line that is not JSON before the last segment`, {
              hint: 'it was not written by a crash during an append; move the file away to start without it (its records would be lost)',
            });
          }
          tornBytes = end - pos;
          fs.truncateSync(seg.file, pos - seg.start);
          end = pos;
          break;
        }
        lines++;
        onLine(value, seg.start + offset + at, seg.start + offset + nl + 1);
        at = nl + 1;
      }
    }
    // A journal that ends before what the store has merged (its files deleted by hand) must not
    // reuse positions the store has already counted as merged: it continues after them.
    if (end < from) {
      end = from;
      this.detached = true;
    }
    this.durable = end;
    await this.release(from);
    this.recovered = true;
    if (tornBytes > 0) {
      this.options.logger.warn(`journal ${this.dir}: cut off ${tornBytes} bytes of an incomplete last write at byte ${end} (a crash during an append; it was never acknowledged)`);
    }
    return { start: Math.min(begin, end), end, lines, tornBytes };
  }

  /**
   * Appends one line (JSON text without a newline) and resolves with the position after it once
   * it is on disk. Lines are written in the order they are appended.
   */
  append(line: string): Promise<number> {
    if (!this.recovered) return Promise.reject(new Error('recover the journal before appending'));
    if (this.closed) return Promise.reject(new AppError('conflict', 'the server is shutting down', { hint: 'retry against the restarted server' }));
    if (this.failure !== null) return Promise.reject(this.broken());
    return new Promise<number>((resolve, reject) => {
      this.queue.push({ buf: Buffer.from(line + '\n', 'utf8'), resolve, reject });
      this.writing ??= this.writeLoop();
    });
  }

  /** Writes what is queued in one write and one sync per round, until nothing is queued. */
  private async writeLoop(): Promise<void> {
    try {
      while (this.queue.length > 0 && this.failure === null) {
        const group = this.queue;
        this.queue = [];
        const buf = group.length === 1 ? group[0]!.buf : Buffer.concat(group.map((p) => p.buf));
        const start = this.durable;
        try {
          const handle = await this.segmentFor(buf.length);
          const seg = this.segments.at(-1)!;
          for (let done = 0; done < buf.length; ) {
            const { bytesWritten } = await handle.write(buf, done, buf.length - done, start - seg.start + done);
            done += bytesWritten;
          }
          if (this.options.sync) await handle.datasync();
          this.writes++;
        } catch (e) {
          // After a failed write or sync the file's state is unknown (a sync error may have
          // dropped pages it had not written): nothing more is acknowledged until a restart,
          // whose recovery cuts the tail back to the last complete line.
          this.failure = e;
          this.options.logger.warn(`journal ${this.dir}: a write failed, the collector refuses events until the server restarts: ${(e as Error).message}`);
          for (const p of [...group, ...this.queue]) p.reject(this.broken());
          this.queue = [];
          return;
        }
        let end = start;
        for (const p of group) {
          end += p.buf.length;
          p.resolve(end);
        }
        this.durable = end;
      }
    } finally {
      this.writing = null;
    }
  }

  private broken(): AppError {
    // The answer says what is wrong and what fixes it; where and why (the path, the OS error)
    // went to the server log when the write failed.
    return new AppError('unavailable', "the collector cannot take events until the server is restarted: its journal could not be written", {
      hint: 'the server log says why',
      cause: this.failure,
    });
  }

  /** The open segment, or a new one when the current one is full (or there is none yet). */
  private async segmentFor(bytes: number): Promise<fsp.FileHandle> {
    const current = this.segments.at(-1);
    if (current !== undefined && !this.detached) {
      const size = this.durable - current.start;
      // A write larger than a whole segment still goes somewhere: into an empty one.
      if (size === 0 || size + bytes <= this.options.segmentBytes) {
        // After a restart the last segment is continued where its last complete line ends.
        this.handle ??= await fsp.open(current.file, 'r+');
        return this.handle;
      }
    }
    await this.handle?.close();
    this.handle = null;
    const seg = { start: this.durable, file: path.join(this.dir, segmentName(this.durable)) };
    const handle = await fsp.open(seg.file, 'wx', 0o600);
    if (this.options.sync) syncDir(this.dir);
    this.segments.push(seg);
    this.handle = handle;
    this.detached = false;
    return handle;
  }

  /** Every line in [from, to), both positions between lines, each with the position after it. */
  async read(from: number, to: number): Promise<{ value: unknown; end: number }[]> {
    if (to > this.durable) throw new Error(`cannot read past the end of the journal (${to} > ${this.durable})`);
    const out: { value: unknown; end: number }[] = [];
    // A copy: a segment started by an append while this reads must not shift the indices.
    const segments = [...this.segments];
    for (let i = 0; i < segments.length && from < to; i++) {
      const seg = segments[i]!;
      const segEnd = i + 1 < segments.length ? segments[i + 1]!.start : this.durable;
      if (segEnd <= from) continue;
      const upto = Math.min(to, segEnd);
      const buf = Buffer.allocUnsafe(upto - from);
      const handle = await fsp.open(seg.file, 'r');
      try {
        for (let done = 0; done < buf.length; ) {
          const { bytesRead } = await handle.read(buf, done, buf.length - done, from - seg.start + done);
          if (bytesRead === 0) throw new Error(`journal ${seg.file} is shorter than expected`);
          done += bytesRead;
        }
      } finally {
        await handle.close();
      }
      let at = 0;
      while (at < buf.length) {
        const nl = buf.indexOf(0x0a, at);
        if (nl === -1) throw new Error(`journal ${seg.file}: position ${upto} is not at the end of a line`);
        out.push({ value: JSON.parse(buf.toString('utf8', at, nl)), end: from + nl + 1 });
        at = nl + 1;
      }
      from = upto;
    }
    return out;
  }

  /**
   * The consumer has merged everything before `position`: segments wholly before it are deleted,
   * so the disk holds only what is not merged yet (plus the segment being written).
   */
  async release(position: number): Promise<void> {
    while (this.segments.length > 1 && this.segments[1]!.start <= position) {
      const seg = this.segments.shift()!;
      await fsp.rm(seg.file, { force: true });
    }
  }

  /** Lets pending appends finish, then closes the file and gives up the lock. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.writing !== null) await this.writing;
    await this.handle?.close();
    this.handle = null;
    unlock(this.dir);
  }
}

interface LockNote {
  pid: number;
  host: string;
  started_at: string;
}

/**
 * One process per journal directory: two servers appending to the same segments would
 * interleave their lines and each would merge (and delete) the other's. The lock is a file
 * created exclusively; one left by a process that no longer exists is taken over.
 */
function lock(dir: string): void {
  const file = path.join(dir, LOCK);
  const note: LockNote = { pid: process.pid, host: os.hostname(), started_at: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify(note) + '\n', { flag: 'wx', mode: 0o600 });
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new AppError('usage', `cannot lock the journal directory ${dir}: ${(e as Error).message}`, { hint: 'pass a writable directory with --journal', cause: e });
      }
    }
    let held: Partial<LockNote> = {};
    try {
      held = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LockNote>;
    } catch {
      // An empty or half-written lock file: its writer died while creating it.
    }
    const pid = typeof held.pid === 'number' ? held.pid : null;
    const sameHost = held.host === undefined || held.host === os.hostname();
    // Our own pid in a stale file is a restart that reused it (pid 1 in a container).
    if (pid !== null && pid !== process.pid && (!sameHost || alive(pid))) {
      throw new AppError(
        'locked',
        `the journal directory ${dir} is in use by another Throughline server (pid ${pid}${sameHost ? '' : ` on ${held.host}`}${held.started_at ? `, started ${held.started_at}` : ''})`,
        { hint: `each server needs its own --journal directory; stop that process, or if it no longer runs, delete ${file}` },
      );
    }
    fs.rmSync(file, { force: true });
  }
  throw new AppError('locked', `the journal directory ${dir} was locked by another process while this one started`, { hint: 'each server needs its own --journal directory' });
}

function unlock(dir: string): void {
  const file = path.join(dir, LOCK);
  try {
    const held = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LockNote>;
    if (held.pid === process.pid) fs.rmSync(file, { force: true });
  } catch {
    // Already gone.
  }
}

/** Where a DuckDB file's collector journal is unless `serve --journal` says otherwise. */
export const journalBeside = (dbFile: string): string => `${dbFile}.journal`;

/** The `settings` row holding how far a journal is merged: one per journal, so servers sharing a database never mix. */
export const journalPositionKey = (journalId: string): string => `collector_journal:${journalId}`;

/**
 * What a journal directory holds past the position its server merged, read without opening it
 * for writing or taking its lock: the bytes (and journal id) of events a server acknowledged and
 * had not merged when it stopped, which only a server starting on the database merges (a crash;
 * a clean stop merges everything). Null when `dir` is not a journal.
 */
export function journalTail(dir: string): { id: string; end: number } | null {
  let id: string;
  try {
    id = fs.readFileSync(path.join(dir, ID), 'utf8').trim();
  } catch {
    return null;
  }
  let end = 0;
  for (const f of fs.readdirSync(dir)) {
    const m = SEGMENT.exec(f);
    if (m === null) continue;
    end = Math.max(end, Number(m[1]) + fs.statSync(path.join(dir, f)).size);
  }
  return { id, end };
}

/** The journal's id, created with the directory and kept for its life. */
function readId(dir: string): string {
  const file = path.join(dir, ID);
  try {
    const id = fs.readFileSync(file, 'utf8').trim();
    if (/^[\w-]{8,64}$/.test(id)) return id;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const id = randomUUID();
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, id + '\n', { mode: 0o600 });
  const fd = fs.openSync(tmp, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  syncDir(dir);
  return id;
}
