/** `throughline context ID`: the live customer context an agent reads (docs/engagement.md). */
import type { Command } from 'commander';
import { customerContext } from '../engage/index.ts';
import { resolveCustomer } from '../identity/customers.ts';
import type { CommandContext } from './context.ts';
import { withStore } from './context.ts';
import { positiveInt, printJson } from './output.ts';
import { loadPolicies } from './serve.ts';

export function registerContext(program: Command, ctx: CommandContext): void {
  program
    .command('context')
    .description('the live context of one customer: open journeys and failures in plain words, feedback, cases, promises, risk, talking points, offers not to make')
    .argument('<id>', 'type:value (phone:5551234567, email:a@b.com, customer_id:C1, ...) or a customer key')
    .option('--recent <n>', 'how many recent interactions to list', positiveInt('--recent', 10_000), 10)
    .option('--policies <file>', 'engagement policies JSON, for the offers not to make (docs/engagement.md)')
    .action(async (id: string, flags: { recent: number; policies?: string }) => {
      const policies = loadPolicies(flags.policies);
      const doc = await withStore(ctx, async (store) =>
        customerContext(store, await resolveCustomer(store, id), { now: Date.now(), recent: flags.recent, ...(policies !== undefined ? { policies } : {}) }),
      );
      if (ctx.global().json) return printJson(ctx.io, doc);
      const lines: string[] = [];
      const name = doc.profile.name ?? doc.customer_key;
      lines.push(`${name}${doc.profile.segment ? ` (${doc.profile.segment})` : ''} · ${doc.customer_key} · ${doc.identifiers.map((i) => `${i.type}:${i.value}`).join(', ')}`);
      const held = doc.holdings.filter((h) => h.active).map((h) => h.product);
      lines.push(`Holds: ${held.length > 0 ? held.join(', ') : 'nothing on record'} · prefers ${doc.preferred_channel ?? 'no channel yet'} · risk ${doc.risk.level} (${doc.risk.score})`);
      const section = (title: string, items: readonly string[]): void => {
        if (items.length === 0) return;
        lines.push('', `${title}:`, ...items.map((s) => `  - ${s}`));
      };
      section('Say', doc.talking_points);
      section('Open journeys', doc.open_journeys.map((j) => j.summary));
      section('Promises', [...doc.promises.overdue, ...doc.promises.open].map((p) => p.words));
      section('Open cases', doc.cases.map((c) => `${c.case_id} (${c.kind}, ${c.owner}${c.overdue ? ', overdue' : ''}): ${c.reason}`));
      section('Feedback', doc.feedback.slice(0, 3).map((f) => `${f.ts.slice(0, 10)} ${f.scope} ${f.metric.toUpperCase()} ${f.score}${f.comment ? `: "${f.comment}"` : ''}`));
      section('Risk', doc.risk.reasons);
      section('Do not offer', doc.suppressed_offers.map((b) => `${b.offer === '*' ? 'any offer' : b.offer}${b.channel === '*' ? '' : ` by ${b.channel}`}: ${b.reason}${b.until ? ` (until ${b.until})` : ''}`));
      section('Recent', doc.recent.map((r) => r.words));
      ctx.io.out(lines.join('\n'));
    });
}
