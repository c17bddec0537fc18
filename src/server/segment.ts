/**
 * Segment tracking-spec messages → records of the data contract (docs/security.md lists the
 * endpoints; README "Collector" the mapping). Pure: the collector validates and merges what
 * this returns through the importer, so a Segment event is held to the same contract as a file.
 *
 *  - identifiers on every call: userId → customer_id, anonymousId → cookie_id,
 *    context.device.id → device_id, traits.email / traits.phone (identify, or context.traits) →
 *    email / phone, traits.account_id → account_id;
 *  - identify → a profile (its other traits are the profile's traits);
 *  - alias → a profile linking userId with previousId as a cookie (the usual anonymous → known
 *    case; two user ids are never merged by an alias, as a weak link never joins two strong ones);
 *  - track → an interaction: event name → activity, properties.channel (default `web`, or `app`
 *    when the context says mobile app), outcome, direction, agent_id, intent, journey_id,
 *    duration_s, wait_s, text; other properties are kept as the `properties` attribute;
 *  - page → web interaction `page/<name or path>`; screen → app interaction `screen/<name>`;
 *  - group → accepted and not stored (an account group is not a customer);
 *  - messageId → event_id: the idempotency key of a re-sent event.
 */
import { createHash } from 'node:crypto';
import type { Kind } from '../core/records.ts';
import { parseTimestamp } from '../core/time.ts';

export const SEGMENT_TYPES = ['track', 'identify', 'alias', 'page', 'screen', 'group'] as const;
export type SegmentType = (typeof SEGMENT_TYPES)[number];

/** Segment's limit per message. */
export const MAX_EVENT_BYTES = 32 * 1024;

export type SegmentRecord = { readonly kind: Kind; readonly fields: Record<string, unknown> };

export type SegmentMapping =
  | { readonly ok: true; readonly messageId: string; readonly records: readonly SegmentRecord[] }
  | { readonly ok: false; readonly messageId: string | null; readonly reason: string };

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const obj = (v: unknown): Obj => (isObj(v) ? v : {});

/** A present, non-empty id as a string (Segment allows numbers). */
function idText(v: unknown): string | null {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'string' && v.trim() !== '') return v;
  return null;
}

const INTERACTION_PROPS = ['channel', 'outcome', 'direction', 'agent_id', 'intent', 'journey_id', 'duration_s', 'wait_s', 'text'] as const;
const TRAIT_IDS = ['email', 'phone', 'account_id'] as const;

/** A mobile app context: `context.app`, or a phone OS or device type. */
function isMobileApp(context: Obj): boolean {
  if (isObj(context.app) && Object.keys(context.app).length > 0) return true;
  const device = String(obj(context.device).type ?? '').toLowerCase();
  const os = String(obj(context.os).name ?? '').toLowerCase();
  return ['ios', 'android', 'mobile', 'ipados'].includes(device) || ['ios', 'android', 'ipados'].includes(os);
}

function identifiers(msg: Obj, traits: Obj): Obj {
  const context = obj(msg.context);
  const ctxTraits = obj(context.traits);
  const out: Obj = {};
  const userId = idText(msg.userId);
  const anonymousId = idText(msg.anonymousId);
  if (userId !== null) out.customer_id = userId;
  if (anonymousId !== null) out.cookie_id = anonymousId;
  const device = idText(obj(context.device).id);
  if (device !== null) out.device_id = device;
  for (const t of TRAIT_IDS) {
    const v = idText(traits[t]) ?? idText(ctxTraits[t]);
    if (v !== null) out[t] = v;
  }
  return out;
}

/** The event's time: `timestamp`, else `originalTimestamp`, else `sentAt`, else when it arrived. */
function eventTime(msg: Obj, receivedAt: number): unknown {
  for (const k of ['timestamp', 'originalTimestamp', 'sentAt'] as const) {
    const v = msg[k];
    if ((typeof v === 'string' && v.trim() !== '') || typeof v === 'number') return v;
  }
  return new Date(receivedAt).toISOString();
}

function messageIdOf(msg: Obj): string {
  const given = idText(msg.messageId);
  if (given !== null) return given;
  // A message without an id still gets a stable one, so a re-send of the same bytes is recognised.
  return 'seg-' + createHash('sha1').update(JSON.stringify(msg)).digest('hex').slice(0, 24);
}

/** Merges a batch envelope's shared `context` and `sentAt` into one of its messages. */
export function withEnvelope(msg: unknown, envelope: Obj): unknown {
  if (!isObj(msg)) return msg;
  const out: Obj = { ...msg };
  if (isObj(envelope.context)) out.context = { ...envelope.context, ...obj(msg.context) };
  if (out.sentAt === undefined && envelope.sentAt !== undefined) out.sentAt = envelope.sentAt;
  return out;
}

export function mapSegmentMessage(raw: unknown, expected: SegmentType | null, receivedAt: number): SegmentMapping {
  if (!isObj(raw)) return { ok: false, messageId: null, reason: 'a message must be a JSON object' };
  const msg = raw;
  const messageId = messageIdOf(msg);
  const type = (msg.type ?? expected) as unknown;
  if (typeof type !== 'string' || !(SEGMENT_TYPES as readonly string[]).includes(type)) {
    return { ok: false, messageId, reason: `type ${JSON.stringify(type ?? null)} is not one of ${SEGMENT_TYPES.join(', ')}` };
  }
  if (expected !== null && type !== expected) return { ok: false, messageId, reason: `a ${type} message was sent to the /v1/${expected} endpoint` };
  if (idText(msg.userId) === null && idText(msg.anonymousId) === null) {
    return { ok: false, messageId, reason: 'userId or anonymousId is required' };
  }
  // Every time the message gives is held to the contract, not only the one used: a sentAt of
  // 1e20 beside a good timestamp is as much a broken message.
  for (const k of ['timestamp', 'originalTimestamp', 'sentAt'] as const) {
    const v = msg[k];
    if (v === undefined || v === null || v === '') continue;
    const t = parseTimestamp(v);
    if (!t.ok) return { ok: false, messageId, reason: `${k}: ${t.reason}` };
  }
  const context = obj(msg.context);
  const props = obj(msg.properties);
  const segment = { type, ...(isObj(context.library) && typeof context.library.name === 'string' ? { library: context.library.name } : {}) };

  switch (type as SegmentType) {
    case 'group':
      return { ok: true, messageId, records: [] };
    case 'identify': {
      const traits = obj(msg.traits);
      const profile = identifiers(msg, traits);
      for (const [k, v] of Object.entries(traits)) if (!(TRAIT_IDS as readonly string[]).includes(k) && !(k in profile)) profile[k] = v;
      if (profile.timezone === undefined && typeof context.timezone === 'string') profile.timezone = context.timezone;
      return { ok: true, messageId, records: [{ kind: 'profiles', fields: profile }] };
    }
    case 'alias': {
      const userId = idText(msg.userId);
      const previousId = idText(msg.previousId);
      if (userId === null || previousId === null) return { ok: false, messageId, reason: 'alias needs userId and previousId' };
      return { ok: true, messageId, records: [{ kind: 'profiles', fields: { customer_id: userId, cookie_id: previousId } }] };
    }
    case 'track':
    case 'page':
    case 'screen': {
      let activity: string;
      let channel: unknown;
      if (type === 'track') {
        const event = idText(msg.event);
        if (event === null) return { ok: false, messageId, reason: 'track needs an event name' };
        activity = event;
        channel = props.channel ?? (isMobileApp(context) ? 'app' : 'web');
      } else if (type === 'page') {
        const name = idText(msg.name) ?? idText(props.name) ?? idText(props.path) ?? idText(obj(context.page).path) ?? 'unknown';
        activity = `page/${name}`;
        channel = 'web';
      } else {
        activity = `screen/${idText(msg.name) ?? idText(props.name) ?? 'unknown'}`;
        channel = 'app';
      }
      // Added one by one: spreading the identifiers' object into a literal cost ~5 µs a message
      // in V8, most of the mapping's time and a fifth of a busy collector's main thread.
      const fields = identifiers(msg, {});
      fields.event_id = messageId;
      fields.ts = eventTime(msg, receivedAt);
      fields.channel = channel;
      fields.activity = activity;
      const rest: Obj = {};
      for (const [k, v] of Object.entries(props)) {
        if ((INTERACTION_PROPS as readonly string[]).includes(k)) {
          if (k !== 'channel') fields[k] = v;
        } else rest[k] = v;
      }
      if (Object.keys(rest).length > 0) fields.properties = rest;
      fields.segment = segment;
      return { ok: true, messageId, records: [{ kind: 'interactions', fields }] };
    }
  }
}
