/**
 * How people name a customer: the name and phone to show beside a customer key in lists (the
 * dashboard's drill-downs and case inbox), read from their profiles.
 */
import type { Queryable } from '../store/store.ts';

function parseAttrs(v: unknown): Record<string, unknown> {
  if (typeof v !== 'string') return {};
  try {
    const p: unknown = JSON.parse(v);
    return p !== null && typeof p === 'object' && !Array.isArray(p) ? (p as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * Name and phone of each customer: the name from the latest profile that has one (the traits
 * the agent's context reads: name, full_name, first_name), the phone from profiles first, else
 * from any record of theirs.
 */
export async function customerLabels(db: Queryable, keys: readonly string[]): Promise<Map<string, { name: string | null; phone: string | null }>> {
  const out = new Map<string, { name: string | null; phone: string | null }>();
  const unique = [...new Set(keys)];
  const text = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v : null);
  for (let k = 0; k < unique.length; k += 500) {
    const chunk = unique.slice(k, k + 500);
    const list = chunk.map((_, n) => `$${n + 1}`).join(', ');
    const profiles = await db.query(`SELECT customer_key, attrs, phone FROM profiles WHERE customer_key IN (${list}) ORDER BY seq DESC`, chunk);
    for (const r of profiles) {
      const key = String(r.customer_key);
      const got = out.get(key) ?? { name: null, phone: null };
      const a = parseAttrs(r.attrs);
      got.name ??= text(a.name) ?? text(a.full_name) ?? text(a.first_name);
      got.phone ??= text(r.phone);
      out.set(key, got);
    }
    const phones = await db.query(`SELECT customer_key, min(phone) AS phone FROM id_tuples WHERE customer_key IN (${list}) AND phone IS NOT NULL GROUP BY customer_key`, chunk);
    for (const r of phones) {
      const key = String(r.customer_key);
      const got = out.get(key) ?? { name: null, phone: null };
      got.phone ??= text(r.phone);
      out.set(key, got);
    }
  }
  return out;
}

