/** `throughline cases`: the closed loop — list, show, contact, resolve, close, roll up, hidden at risk. */
import type { Command } from 'commander';
import { AppError } from '../core/errors.ts';
import { caseRollup, CASE_STATUSES, closeCase, contactCase, resolveCase, showCase } from '../feedback/cases.ts';
import { currentCases } from '../insight/current-cases.ts';
import type { CaseDoc } from '../feedback/cases.ts';
import { listHiddenAtRisk } from '../feedback/hidden.ts';
import type { CommandContext } from './context.ts';
import { withStore } from './context.ts';
import { printJson, table } from './output.ts';

interface ListFlags {
  status?: string;
  owner?: string;
  overdue?: boolean;
  hiddenAtRisk?: boolean;
}

interface ResolveFlags {
  rootCause?: string;
  resolved?: string;
  note?: string;
  by?: string;
}

function yesNo(v: string | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  if (/^(yes|y|true)$/i.test(v)) return true;
  if (/^(no|n|false)$/i.test(v)) return false;
  throw new AppError('usage', `--resolved ${v}: say yes or no`);
}

function statusWord(c: CaseDoc): string {
  return c.overdue ? `${c.status}, escalated` : c.status;
}

export function registerCases(program: Command, ctx: CommandContext): void {
  const cases = program
    .command('cases')
    .description('closed-loop cases for detractors and low CSAT (docs/feedback.md); overdue cases show as escalated')
    .option('--status <status>', `${CASE_STATUSES.join(', ')}, or escalated (overdue)`)
    .option('--owner <owner>', 'only cases of this owner (e.g. cx-team, queue:call, store:Downtown)')
    .option('--overdue', 'only cases past due and not resolved or closed')
    .option('--hidden-at-risk', 'only cases of hidden-at-risk customers')
    .action(async (flags: ListFlags) => {
      const list = await withStore(ctx, (store) =>
        currentCases(store, { now: Date.now(), status: flags.status, owner: flags.owner, overdue: flags.overdue, hiddenAtRisk: flags.hiddenAtRisk }),
      );
      if (ctx.global().json) return printJson(ctx.io, list);
      if (list.length === 0) return ctx.io.out('No cases match.');
      ctx.io.out(
        table(
          ['case', 'customer', 'status', 'owner', 'due', 'answers', 'root cause step', 'hidden at risk'],
          list.map((c) => [c.case_id, c.customer_key, statusWord(c), c.owner, c.due_at.slice(0, 16).replace('T', ' '), c.response_ids.length, c.root_cause ?? c.root_cause_step ?? '-', c.hidden_at_risk ? 'yes' : '']),
        ),
      );
    });

  cases
    .command('show')
    .description('one case: its reason, answers and history')
    .argument('<id>', 'case id')
    .action(async (id: string) => {
      const c = await withStore(ctx, (store) => showCase(store, id, Date.now()));
      if (ctx.global().json) return printJson(ctx.io, c);
      ctx.io.out(
        [
          `Case ${c.case_id} for ${c.customer_key}: ${statusWord(c)}${c.escalated_to ? ` to ${c.escalated_to}` : ''}; owner ${c.owner}; due ${c.due_at}.`,
          c.reason,
          `Step most likely at fault: ${c.root_cause_step ?? 'none found'}${c.root_cause ? `; confirmed root cause: ${c.root_cause}` : ''}.`,
          ...(c.hidden_at_risk ? ['Hidden at risk: good transaction answers, but a relationship detractor.'] : []),
          ...(c.callback_requested ? ['The customer asked for a callback.'] : []),
          '',
          table(['answer', 'when', 'survey', 'metric', 'score', 'comment'], c.answers.map((a) => [a.response_id, a.ts.slice(0, 16), a.survey_id, `${a.scope} ${a.metric}`, a.score, a.comment ?? ''])),
          '',
          table(['when', 'event', 'by', 'note'], c.events.map((e) => [e.ts.slice(0, 16), e.kind, e.actor ?? '', e.note ?? ''])),
        ].join('\n'),
      );
    });

  cases
    .command('contact')
    .description('record a contact with the customer (open → contacted)')
    .argument('<id>', 'case id')
    .requiredOption('--note <text>', 'what was said')
    .option('--by <name>', 'who made the contact')
    .action(async (id: string, flags: { note: string; by?: string }) => {
      const c = await withStore(ctx, async (store) => {
        await store.transaction((tx) => contactCase(tx, id, flags.note, { now: Date.now(), actor: flags.by }));
        return showCase(store, id, Date.now());
      });
      if (ctx.global().json) return printJson(ctx.io, c);
      ctx.io.out(`Case ${id} is now ${c.status}.`);
    });

  for (const verb of ['resolve', 'close'] as const) {
    cases
      .command(verb)
      .description(verb === 'resolve' ? 'resolve a case: the loop is closed with the customer' : 'close a case (a resolved one keeps its resolution)')
      .argument('<id>', 'case id')
      .option('--root-cause <step>', 'the confirmed root cause, e.g. web:pay_bill/submit_payment (required)')
      .option('--resolved <yes|no>', 'was the customer\'s issue resolved? (required)')
      .option('--note <text>', 'a note for the record')
      .option('--by <name>', 'who did it')
      .action(async (id: string, flags: ResolveFlags) => {
        const resolution = { rootCause: flags.rootCause, issueResolved: yesNo(flags.resolved), note: flags.note };
        const c = await withStore(ctx, async (store) => {
          await store.transaction((tx) => (verb === 'resolve' ? resolveCase : closeCase)(tx, id, resolution, { now: Date.now(), actor: flags.by }));
          return showCase(store, id, Date.now());
        });
        if (ctx.global().json) return printJson(ctx.io, c);
        ctx.io.out(`Case ${id} is now ${c.status} (root cause ${c.root_cause}; issue resolved: ${c.issue_resolved ? 'yes' : 'no'}).`);
      });
  }

  cases
    .command('rollup')
    .description('the outer loop: cases grouped by root-cause step, so a process owner sees what to fix')
    .action(async () => {
      const rows = await withStore(ctx, (store) => caseRollup(store, Date.now()));
      if (ctx.global().json) return printJson(ctx.io, rows);
      if (rows.length === 0) return ctx.io.out('No cases yet.');
      ctx.io.out(
        table(
          ['root cause step', 'cases', 'customers', 'open', 'contacted', 'overdue', 'resolved', 'closed', 'confirmed', 'issue fixed', 'hidden at risk'],
          rows.map((r) => [
            r.root_cause_step ?? '(no failed step)', r.cases, r.customers, r.open, r.contacted, r.overdue, r.resolved, r.closed, r.confirmed,
            r.issue_resolved_rate === null ? '-' : `${Math.round(r.issue_resolved_rate * 100)}%`, r.hidden_at_risk,
          ]),
        ),
      );
    });

  cases
    .command('hidden')
    .description('hidden-at-risk customers: good transaction answers, but a detractor on the relationship')
    .action(async () => {
      const rows = await withStore(ctx, (store) => listHiddenAtRisk(store));
      if (ctx.global().json) return printJson(ctx.io, rows);
      if (rows.length === 0) return ctx.io.out('No hidden-at-risk customers.');
      ctx.io.out(
        [
          `${rows.length} customer(s) rate their contacts well but would not recommend the company:`,
          table(
            ['customer', 'relationship NPS', 'answered', 'CSAT answers', 'mean CSAT', 'CES answers', 'mean CES', 'open case'],
            rows.map((h) => [h.customer_key, h.nps, h.nps_at.slice(0, 10), h.csat_answers, h.mean_csat, h.ces_answers, h.mean_ces, h.case_id ?? '']),
          ),
        ].join('\n'),
      );
    });
}
