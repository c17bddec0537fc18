/**
 * Delivers the webhooks a survey branch asks for (the dialogue returns them as `{url, payload}`;
 * domain code makes no network calls). Delivery happens after the customer has their answer and
 * never fails it: a slow, refusing or broken receiver is logged and given up on.
 */
import type { Logger } from '../../core/logger.ts';
import type { WebhookCall } from '../../feedback/index.ts';

export const DEFAULT_WEBHOOK_TIMEOUT_MS = 5000;

export class WebhookSender {
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly logger: Logger,
    private readonly timeoutMs: number = DEFAULT_WEBHOOK_TIMEOUT_MS,
  ) {}

  /** Starts delivering; returns at once. */
  send(calls: readonly WebhookCall[]): void {
    for (const call of calls) {
      const p: Promise<void> = this.post(call).finally(() => this.pending.delete(p));
      this.pending.add(p);
    }
  }

  /** Waits for deliveries under way (each is bounded by the timeout): the app awaits it on close. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  private async post(call: WebhookCall): Promise<void> {
    // The log names the receiver without its query string, which may carry the receiver's secret.
    const where = describe(call.url);
    try {
      const r = await fetch(call.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'throughline-webhooks', 'x-throughline-event': call.payload.event },
        body: JSON.stringify(call.payload),
        signal: AbortSignal.timeout(this.timeoutMs),
        // A redirect is not followed: the survey's author chose the receiver, not whoever answers there.
        redirect: 'manual',
      });
      await r.body?.cancel();
      if (!r.ok) this.logger.warn(`webhook ${call.payload.event} to ${where} answered ${r.status}; not retried`);
    } catch (e) {
      const reason = e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError') ? `no answer within ${this.timeoutMs} ms` : errorText(e);
      this.logger.warn(`webhook ${call.payload.event} to ${where} failed: ${reason}; not retried`);
    }
  }
}

function describe(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '(an invalid URL)';
  }
}

function errorText(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  // fetch reports network errors as "fetch failed" with the reason (ECONNREFUSED, …) as the cause.
  const cause = e.cause instanceof Error ? `: ${e.cause.message}` : '';
  return `${e.message}${cause}`;
}
