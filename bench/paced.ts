/**
 * An open-loop load generator at a steady rate, for latency at a given request rate.
 *
 * autocannon's `overallRate` lets each connection send its quota for the second back to back and
 * then pause until the next second: 1,000 requests/s arrive as one burst of 1,000 in the first
 * ~150 ms of each second (about 6,000/s while it lasts), and the latency it reports is mostly the
 * queue of that burst. A desk of agents does not click in step. Here request n is due at
 * t0 + n / rate, whether or not earlier answers came back (open loop, as wrk2 does), and its
 * latency runs from when it was due to when its answer ended, so a stall of the server, or of
 * this generator, counts against every request it delayed (no coordinated omission).
 */
import http from 'node:http';

export interface PacedRequest {
  readonly path: string;
  readonly headers: Record<string, string>;
  /** Sent with POST; without it, GET. */
  readonly body?: string;
}

export interface Measured {
  /** Requests sent. */
  readonly requests: number;
  /** Answered 2xx. */
  readonly ok: number;
  /** Non-2xx answers, errors and timeouts. */
  readonly failed: number;
  /** The failed by what they were: an HTTP status (`429`), `timeout` or `error`. */
  readonly failures?: Readonly<Record<string, number>>;
  /** Latency in ms. */
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** The q-quantile (0..1) of sorted values: the smallest value at or above that share. */
export function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export async function paced(options: {
  readonly url: string;
  readonly rate: number;
  readonly seconds: number;
  /** Keep-alive connections at most; a request beyond them waits for one (and that wait counts). */
  readonly connections: number;
  readonly request: (n: number) => PacedRequest;
  readonly timeoutMs?: number;
}): Promise<Measured> {
  const { hostname, port } = new URL(options.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections });
  const total = Math.round(options.rate * options.seconds);
  const latencies = new Float64Array(total);
  let done = 0;
  let ok = 0;
  let failed = 0;
  const failures: Record<string, number> = {};
  const interval = 1000 / options.rate;
  const t0 = performance.now() + 5;
  let sent = 0;

  const finished = new Promise<void>((resolve) => {
    const settle = (n: number, success: boolean, why = 'error'): void => {
      latencies[n] = performance.now() - (t0 + n * interval);
      if (success) ok++;
      else {
        failed++;
        failures[why] = (failures[why] ?? 0) + 1;
      }
      if (++done === total) resolve();
    };
    const send = (n: number): void => {
      const r = options.request(n);
      const req = http.request(
        { host: hostname, port, path: r.path, method: r.body === undefined ? 'GET' : 'POST', headers: r.headers, agent, timeout: options.timeoutMs ?? 10_000 },
        (res) => {
          res.resume();
          res.on('end', () => settle(n, res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300, String(res.statusCode)));
          res.on('error', () => settle(n, false));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e) => settle(n, false, e.message === 'timeout' ? 'timeout' : 'error'));
      req.end(r.body);
    };
    // Timers fire at best every millisecond or so: each tick sends every request now due.
    const tick = (): void => {
      const due = Math.min(total, Math.floor((performance.now() - t0) / interval) + 1);
      while (sent < due) send(sent++);
      if (sent < total) setTimeout(tick, Math.max(0, Math.min(1, t0 + sent * interval - performance.now())));
    };
    setTimeout(tick, 5);
  });
  await finished;
  agent.destroy();
  const sorted = latencies.sort();
  return { requests: total, ok, failed, failures, p50: quantile(sorted, 0.5), p90: quantile(sorted, 0.9), p99: quantile(sorted, 0.99), max: sorted[sorted.length - 1] ?? 0 };
}
