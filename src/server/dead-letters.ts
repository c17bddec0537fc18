/**
 * Dead letters: collected records that passed validation and still made a merge into the store
 * fail. The write queue (write-queue.ts) isolates such a record by merging its batch in halves,
 * sets it aside here in the transaction that moves the journal's merged position past it, and
 * merges the rest; so a restart never replays it into the same failure. `throughline deadletter
 * list` shows them and `/healthz` counts them.
 */
import { randomUUID } from 'node:crypto';
import type { Kind } from '../core/records.ts';
import type { Queryable } from '../store/store.ts';

export interface DeadLetter {
  readonly letter_id: string;
  /** The journal the record was collected into, and the position of its line there. */
  readonly journal: string;
  readonly position: number;
  readonly kind: Kind;
  /** Its place in the request that sent it (1-based). */
  readonly line: number;
  readonly fields: Record<string, unknown>;
  /** What the store said when the record alone was merged. */
  readonly reason: string;
  readonly set_aside_at: string;
}

export interface NewDeadLetter {
  readonly journal: string;
  readonly position: number;
  readonly kind: Kind;
  readonly line: number;
  readonly fields: Record<string, unknown>;
  readonly reason: string;
}

/** Keeps `letters` (inside the caller's transaction, beside the journal position it moves). */
export async function setAside(tx: Queryable, letters: readonly NewDeadLetter[], now: number): Promise<void> {
  for (const l of letters) {
    await tx.exec(
      `INSERT INTO dead_letters (letter_id, journal, position, kind, line, fields, reason, set_aside_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      // JSON text escapes whatever made the record poison (a lone surrogate, a control character), so the letter itself can always be kept.
      [randomUUID(), l.journal, l.position, l.kind, l.line, JSON.stringify(l.fields), l.reason.slice(0, 2000), now],
    );
  }
}

export async function countDeadLetters(db: Queryable): Promise<number> {
  const [row] = await db.query(`SELECT count(*) AS n FROM dead_letters`);
  return Number(row?.n ?? 0);
}

/** Every dead letter, oldest first. */
export async function listDeadLetters(db: Queryable): Promise<DeadLetter[]> {
  const rows = await db.query(`SELECT letter_id, journal, position, kind, line, fields, reason, set_aside_at FROM dead_letters ORDER BY set_aside_at, position, line`);
  return rows.map((r) => ({
    letter_id: String(r.letter_id),
    journal: String(r.journal),
    position: Number(r.position),
    kind: String(r.kind) as Kind,
    line: Number(r.line),
    fields: JSON.parse(String(r.fields)) as Record<string, unknown>,
    reason: String(r.reason),
    set_aside_at: new Date(Number(r.set_aside_at)).toISOString(),
  }));
}
