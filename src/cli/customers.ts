/** `throughline customers show ID`: who a customer is and what is on record for them. */
import type { Command } from 'commander';
import { customerSummary, resolveCustomer } from '../identity/customers.ts';
import type { CommandContext } from './context.ts';
import { withStore } from './context.ts';
import { fmtInt, printJson, table } from './output.ts';

export function registerCustomers(program: Command, ctx: CommandContext): void {
  const customers = program.command('customers').description('look customers up');
  customers
    .command('show')
    .description('show one customer by identifier (phone:5551234567, email:a@b.com, customer_id:C1, ...) or customer key')
    .argument('<id>', 'type:value or a customer key')
    .action(async (id: string) => {
      const summary = await withStore(ctx, async (store) => customerSummary(store, await resolveCustomer(store, id)));
      if (ctx.global().json) return printJson(ctx.io, summary);
      const lines = [
        `Customer ${summary.customer_key}`,
        `First seen ${summary.first_seen ?? 'never'}, last seen ${summary.last_seen ?? 'never'}; ${fmtInt(summary.journeys)} journeys.`,
        '',
        table(
          ['identifier', 'value', 'links records'],
          summary.identifiers.map((i) => [i.type, i.value, i.links ? 'yes' : 'no (placeholder)']),
        ),
        '',
        table(
          ['records', 'count'],
          Object.entries(summary.records).map(([k, n]) => [k, n]),
        ),
      ];
      ctx.io.out(lines.join('\n'));
    });
}
