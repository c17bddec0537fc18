/**
 * IEEE 1849 XES event logs, streamed with saxes. Each event becomes one row shaped like a pm4py
 * dataframe row: the event's attributes under their own keys, the trace's attributes under
 * `case:<key>`.
 *
 * What is kept and what is not:
 * - Typed values: string and id → string; date → the literal text as written; int and float →
 *   number (an int beyond 2^53 stays a string rather than be rounded); boolean → boolean.
 *   A value that does not parse as its declared type makes the event a rejected item.
 * - `<global scope="event">` values fill in event attributes an event does not have.
 *   `<global scope="trace">` is not applied: its default case id would merge every trace that
 *   lacks a `concept:name` into one journey.
 * - Nested attributes are ignored: the children of an attribute (meta-attributes) and the
 *   contents of `<list>` and `<container>`, which have no value of their own. Log-level
 *   attributes, extensions and classifiers are ignored too.
 * - A trace's events are held back until `</trace>` (or until 1,000 are waiting), so a trace
 *   attribute written after some events still reaches them. In a longer trace, events already
 *   handed on do not get trace attributes that appear later in the file.
 */
import { SaxesParser } from 'saxes';
import type { SaxesTagPlain } from 'saxes';
import { AppError } from '../../core/errors.ts';
import { clip, setField } from './fields.ts';
import type { OpenText, ParsedText, SourceItem } from './types.ts';

/** Past this many events a trace is passed on in pieces, so one huge trace cannot exhaust memory. */
const MAX_HELD_EVENTS = 1000;

const TYPED = new Set(['string', 'date', 'int', 'float', 'boolean', 'id']);

// What an open element is, for deciding what its children mean.
const LOG = 1;
const TRACE = 2;
const EVENT = 3;
const GLOBAL_EVENT = 4;
const IGNORED = 5;

interface Attribute {
  readonly key: string;
  readonly value: unknown;
  readonly error: string | undefined;
}

interface PendingEvent {
  readonly line: number;
  readonly attributes: Attribute[];
}

const INT = /^[+-]?\d+$/;

function localName(name: string): string {
  const colon = name.indexOf(':');
  return colon === -1 ? name : name.slice(colon + 1);
}

function readAttribute(type: string, tag: SaxesTagPlain): Attribute | undefined {
  const key = tag.attributes['key'];
  if (key === undefined) return undefined; // nameless: nothing to put it under
  const text = tag.attributes['value'];
  if (text === undefined) return { key, value: undefined, error: `attribute "${key}" has no value` };
  switch (type) {
    case 'int': {
      const trimmed = text.trim();
      if (!INT.test(trimmed)) return { key, value: text, error: `attribute "${key}" is not a valid int: "${clip(text, 100)}"` };
      const n = Number(trimmed);
      return { key, value: Number.isSafeInteger(n) ? n : trimmed, error: undefined };
    }
    case 'float': {
      const n = Number(text);
      if (text.trim() === '' || !Number.isFinite(n)) {
        return { key, value: text, error: `attribute "${key}" is not a valid float: "${clip(text, 100)}"` };
      }
      return { key, value: n, error: undefined };
    }
    case 'boolean': {
      const t = text.trim().toLowerCase();
      if (t === 'true' || t === '1') return { key, value: true, error: undefined };
      if (t === 'false' || t === '0') return { key, value: false, error: undefined };
      return { key, value: text, error: `attribute "${key}" is not a valid boolean: "${clip(text, 100)}"` };
    }
    default:
      return { key, value: text, error: undefined };
  }
}

/**
 * Push-style XES reader: `write` text chunks, then `end`. Finished events are appended to the
 * array passed in. Malformed XML throws `AppError('input')` naming the line.
 */
export class XesReader {
  private readonly parser = new SaxesParser({ xmlns: false, position: true });
  private readonly name: string;
  private readonly stack: number[] = [];
  private readonly defaults: Attribute[] = [];
  private traceAttributes: Attribute[] = [];
  private held: PendingEvent[] = [];
  private event: PendingEvent | undefined;
  private tagLine = 1;
  private xmlError: Error | undefined;
  private out: SourceItem[] = [];
  /** True once the `<log>` root element has been read. */
  sawRoot = false;

  constructor(name: string) {
    this.name = name;
    const parser = this.parser;
    parser.on('opentagstart', () => {
      // saxes reports the position after the tag name; column 0 means the name ended with a
      // line break, so the tag itself started on the line before.
      this.tagLine = parser.column === 0 ? parser.line - 1 : parser.line;
    });
    parser.on('opentag', (tag) => this.open(tag));
    parser.on('closetag', () => this.close());
    parser.on('error', (e) => {
      this.xmlError ??= e;
    });
  }

  write(chunk: string, out: SourceItem[]): void {
    this.out = out;
    this.parser.write(chunk);
    this.check();
  }

  end(out: SourceItem[]): void {
    this.out = out;
    this.parser.close();
    this.check();
    if (!this.sawRoot) throw new AppError('input', `${this.name} has no <log> element: it is not an XES event log`);
  }

  private check(): void {
    if (this.xmlError !== undefined) {
      throw new AppError('input', `${this.name}:${this.xmlError.message} (the XML is malformed; fix or re-export the file)`, {
        cause: this.xmlError,
      });
    }
  }

  private open(tag: SaxesTagPlain): void {
    const name = localName(tag.name);
    const stack = this.stack;
    if (stack.length === 0) {
      if (name !== 'log') {
        this.xmlError ??= this.parser.makeError(`the root element is <${tag.name}>, not <log>: this is not an XES event log`);
        stack.push(IGNORED);
        return;
      }
      this.sawRoot = true;
      stack.push(LOG);
      return;
    }
    const parent = stack[stack.length - 1];
    let kind = IGNORED;
    if (parent === LOG) {
      if (name === 'trace') {
        kind = TRACE;
        this.traceAttributes = [];
        this.held = [];
      } else if (name === 'event') {
        // Not allowed by the standard; kept as an event without a trace rather than lost.
        kind = EVENT;
        this.traceAttributes = [];
        this.event = { line: this.tagLine, attributes: [] };
      } else if (name === 'global' && tag.attributes['scope'] === 'event') {
        kind = GLOBAL_EVENT;
      }
    } else if (parent === TRACE) {
      if (name === 'event') {
        kind = EVENT;
        this.event = { line: this.tagLine, attributes: [] };
      } else if (TYPED.has(name)) {
        const attribute = readAttribute(name, tag);
        if (attribute !== undefined) this.traceAttributes.push(attribute);
      }
    } else if (parent === EVENT) {
      if (TYPED.has(name) && this.event !== undefined) {
        const attribute = readAttribute(name, tag);
        if (attribute !== undefined) this.event.attributes.push(attribute);
      }
    } else if (parent === GLOBAL_EVENT) {
      if (TYPED.has(name)) {
        const attribute = readAttribute(name, tag);
        if (attribute !== undefined) this.defaults.push(attribute);
      }
    }
    stack.push(kind);
  }

  private close(): void {
    const kind = this.stack.pop();
    if (kind === EVENT && this.event !== undefined) {
      this.held.push(this.event);
      this.event = undefined;
      // An event outside any trace has nothing to wait for.
      if (this.held.length >= MAX_HELD_EVENTS || this.stack[this.stack.length - 1] !== TRACE) this.flush();
    } else if (kind === TRACE) {
      this.flush();
    }
  }

  private flush(): void {
    for (const event of this.held) this.out.push(this.build(event));
    this.held = [];
  }

  private build(event: PendingEvent): SourceItem {
    const fields: Record<string, unknown> = {};
    let error: string | undefined;
    for (const a of event.attributes) {
      if (Object.hasOwn(fields, a.key)) error ??= `attribute "${a.key}" appears twice in the event`;
      error ??= a.error;
      setField(fields, a.key, a.value);
    }
    for (const d of this.defaults) {
      if (Object.hasOwn(fields, d.key)) continue;
      if (d.error !== undefined) error ??= `global default: ${d.error}`;
      setField(fields, d.key, d.value);
    }
    for (const a of this.traceAttributes) {
      const key = `case:${a.key}`;
      if (a.error !== undefined) error ??= `trace ${a.error}`;
      setField(fields, key, a.value);
    }
    if (error !== undefined) return { ok: false, line: event.line, reason: error, raw: clip(JSON.stringify(fields)) };
    return { ok: true, row: { line: event.line, fields } };
  }
}

/** Events of an XES text, in file order. */
export async function* xesItems(chunks: AsyncIterable<string>, name: string): AsyncGenerator<SourceItem> {
  for await (const batch of xesBatches(chunks, name)) yield* batch;
}

/** `xesItems`, the events each text chunk completes in one array. */
export async function* xesBatches(chunks: AsyncIterable<string>, name: string): AsyncGenerator<SourceItem[]> {
  const reader = new XesReader(name);
  for await (const chunk of chunks) {
    const out: SourceItem[] = [];
    reader.write(chunk, out);
    if (out.length > 0) yield out;
  }
  const out: SourceItem[] = [];
  reader.end(out);
  if (out.length > 0) yield out;
}

/**
 * Reads up to the `<log>` root at open time, so a file that is not XML, or not XES, fails
 * before any record is processed. XES has no header.
 */
export async function openXes(open: OpenText, options: { readonly name: string }): Promise<ParsedText> {
  const { name } = options;
  const reader = new XesReader(name);
  const discard: SourceItem[] = [];
  let ended = true;
  for await (const chunk of open()) {
    reader.write(chunk, discard);
    discard.length = 0;
    if (reader.sawRoot) {
      ended = false;
      break;
    }
  }
  if (ended) reader.end(discard);
  return { header: undefined, items: () => xesItems(open(), name), batches: () => xesBatches(open(), name) };
}
