/**
 * The CLI as a user runs it, in child processes: a command run to its end, `throughline serve`
 * started on a free port, and a collector load during which the server is killed. Shared by the
 * end-to-end suites that drive real processes.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';

export const BIN = path.resolve(import.meta.dirname, '..', '..', 'bin', 'throughline.js');

export interface Running {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** The exit code, or the signal's name when a signal ended the process. */
  readonly exit: Promise<number | string | null>;
}

export interface Served extends Running {
  readonly url: string;
}

/** Starts `throughline ARGS` and collects what it prints. */
export function run(args: readonly string[]): Running {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  return { child, stdout: () => out, stderr: () => err, exit };
}

/** Runs `throughline ARGS` to its end. */
export function cli(args: readonly string[], env: Record<string, string> = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** `throughline --db DB serve --port 0 --json EXTRA`, once it has printed `{url, pid, db}`. */
export async function serve(db: string, extra: readonly string[] = []): Promise<Served> {
  const r = run(['--db', db, 'serve', '--port', '0', '--json', ...extra]);
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return { ...r, url: (JSON.parse(r.stdout()) as { url: string }).url };
    } catch {
      // the document is not complete yet
    }
    if (r.child.exitCode !== null) throw new Error(`serve exited ${r.child.exitCode}: ${r.stderr()}`);
    if (Date.now() > deadline) throw new Error(`serve did not start: ${r.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** SIGTERM unless it has ended already; resolves to how it ended. */
export function stop(s: Running): Promise<number | string | null> {
  if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGTERM');
  return s.exit;
}

/**
 * Posts `batches` to a served collector from four concurrent senders and kills the server with
 * SIGKILL once a third of the messages are acknowledged. Returns the message ids answered 200:
 * a batch whose connection died with the server was not acknowledged.
 */
export async function loadUntilKilled(
  s: Served,
  batches: readonly { readonly batch: readonly { readonly messageId: string }[] }[],
  post: (url: string, body: unknown) => Promise<Response>,
): Promise<{ acked: Set<string>; killed: boolean }> {
  const total = batches.reduce((n, b) => n + b.batch.length, 0);
  const acked = new Set<string>();
  let next = 0;
  let killed = false;
  const worker = async (): Promise<void> => {
    while (next < batches.length && !killed) {
      const b = batches[next++]!;
      try {
        const r = await post(s.url, b);
        if (r.status === 200) for (const m of b.batch) acked.add(m.messageId);
      } catch {
        // the connection died with the server: this batch was not acknowledged
      }
      if (!killed && acked.size >= total / 3) {
        killed = true;
        s.child.kill('SIGKILL');
      }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  await s.exit;
  return { acked, killed };
}
