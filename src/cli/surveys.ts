/** `throughline surveys`: add, list and show survey definitions; make a signed link; try the SMS dialogue. */
import fs from 'node:fs';
import type { Command } from 'commander';
import { AppError } from '../core/errors.ts';
import { createSurveyLink, receiveSms, startSmsSurvey } from '../feedback/dialogue.ts';
import type { SurveyMessage } from '../feedback/dialogue.ts';
import { parseSurvey } from '../feedback/survey-definition.ts';
import { getSurvey, listSurveys, saveSurvey } from '../feedback/surveys.ts';
import { resolveCustomer } from '../identity/customers.ts';
import type { CommandContext } from './context.ts';
import { withStore } from './context.ts';
import { printJson, table } from './output.ts';

export function registerSurveys(program: Command, ctx: CommandContext): void {
  const surveys = program.command('surveys').description('survey definitions and their delivery (docs/feedback.md)');

  surveys
    .command('add')
    .description('add or replace a survey from a JSON definition (validated; every problem is named by its path)')
    .argument('<file>', 'the definition, JSON')
    .action(async (file: string) => {
      if (!fs.existsSync(file)) throw new AppError('input', `${file} does not exist`);
      const definition = parseSurvey(fs.readFileSync(file, 'utf8'), file);
      const r = await withStore(ctx, (store) => store.transaction((tx) => saveSurvey(tx, definition, Date.now())), { create: true });
      if (ctx.global().json) return printJson(ctx.io, { survey_id: r.survey.id, replaced: r.replaced, definition: r.survey });
      ctx.io.out(`${r.replaced ? 'Replaced' : 'Added'} ${r.survey.type} survey ${r.survey.id} with ${r.survey.questions.length} question(s).`);
    });

  surveys
    .command('list')
    .description('the stored surveys')
    .action(async () => {
      const list = await withStore(ctx, (store) => listSurveys(store));
      if (ctx.global().json) return printJson(ctx.io, list);
      if (list.length === 0) return ctx.io.out('No surveys yet: add one with throughline surveys add FILE.');
      ctx.io.out(table(['survey', 'type', 'name', 'questions', 'updated'], list.map((s) => [s.survey_id, s.type, s.name, s.questions, s.updated_at.slice(0, 16)])));
    });

  surveys
    .command('show')
    .description('one survey definition as stored, with its defaults')
    .argument('<id>', 'survey id')
    .action(async (id: string) => {
      const s = await withStore(ctx, (store) => getSurvey(store, id));
      printJson(ctx.io, s);
    });

  surveys
    .command('link')
    .description('a signed, expiring, one-use link to the hosted survey page for one customer (contact rules apply)')
    .argument('<survey>', 'survey id')
    .argument('<customer>', 'type:value (phone:5551234567) or a customer key')
    .option('--event <event_id>', 'the interaction a transaction survey asks about')
    .option('--force', 'ignore the contact rules')
    .action(async (survey: string, customer: string, flags: { event?: string; force?: boolean }) => {
      const link = await withStore(ctx, async (store) =>
        createSurveyLink(store, { surveyId: survey, customerKey: await resolveCustomer(store, customer), eventId: flags.event ?? null, ignoreContactRules: flags.force === true }),
      );
      if (ctx.global().json) return printJson(ctx.io, link);
      ctx.io.out(`${link.path}\n(expires ${link.expires_at}; one use; serve it with throughline serve)`);
    });

  surveys
    .command('text')
    .description('start an SMS survey for a customer and print the first message to send')
    .argument('<survey>', 'survey id')
    .argument('<customer>', 'type:value or a customer key')
    .option('--event <event_id>', 'the interaction a transaction survey asks about')
    .option('--force', 'ignore the contact rules')
    .action(async (survey: string, customer: string, flags: { event?: string; force?: boolean }) => {
      const m = await withStore(ctx, async (store) =>
        startSmsSurvey(store, { surveyId: survey, customerKey: await resolveCustomer(store, customer), eventId: flags.event ?? null, ignoreContactRules: flags.force === true }),
      );
      print(ctx, m);
    });

  surveys
    .command('inbound')
    .description('an inbound text message from a phone: prints the reply of that customer\'s survey in progress')
    .argument('<phone>', 'the sender\'s number')
    .argument('<text...>', 'the message')
    .action(async (phone: string, text: string[]) => {
      const m = await withStore(ctx, (store) => receiveSms(store, { from: phone, text: text.join(' ') }));
      print(ctx, m);
    });
}

function print(ctx: CommandContext, m: SurveyMessage): void {
  if (ctx.global().json) return printJson(ctx.io, m);
  ctx.io.out(m.text);
  const notes = [
    ...(m.case_id === null ? [] : [`case ${m.case_id}`]),
    ...(m.done ? ['survey finished'] : []),
    ...m.webhooks.map((w) => `webhook to deliver: ${w.url}`),
  ];
  if (notes.length > 0) ctx.io.err(`(${notes.join('; ')})`);
}
