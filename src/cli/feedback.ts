/** `throughline feedback`: comment verbatims by topic and sentiment, the topic summary, routed praise. */
import fs from 'node:fs';
import type { Command } from 'commander';
import { AppError } from '../core/errors.ts';
import { listComments, topicSummary } from '../feedback/comments.ts';
import { listPraise } from '../feedback/praise.ts';
import { trainSentimentModel } from '../feedback/sentiment-scorer.ts';
import type { SentimentLabel } from '../feedback/sentiment.ts';
import { parseTaxonomy } from '../feedback/taxonomy.ts';
import type { Taxonomy } from '../feedback/taxonomy.ts';
import { parseBound } from '../journey/filters.ts';
import type { CommandContext } from './context.ts';
import { withStore } from './context.ts';
import { positiveInt, printJson, table } from './output.ts';

interface CommentFlags {
  topic?: string;
  sentiment?: string;
  scope?: string;
  metric?: string;
  from?: string;
  to?: string;
  limit: number;
  taxonomy?: string;
}

function taxonomyFrom(file: string | undefined): Taxonomy | undefined {
  if (file === undefined) return undefined;
  if (!fs.existsSync(file)) throw new AppError('input', `${file} does not exist`);
  return parseTaxonomy(fs.readFileSync(file, 'utf8'), file);
}

export function registerFeedback(program: Command, ctx: CommandContext): void {
  const feedback = program.command('feedback').description('what customers wrote: sentiment, topics, verbatims, praise (docs/feedback.md)');

  feedback
    .command('comments')
    .description('comment verbatims with sentiment and topics, most negative first')
    .option('--topic <id>', 'billing, website_app, store_staff, promises_credits, wait_time, agent_praise (or one of --taxonomy)')
    .option('--sentiment <label>', 'positive, negative or neutral')
    .option('--scope <scope>', 'relationship or transaction')
    .option('--metric <metric>', 'nps, csat or ces')
    .option('--from <date>', 'answers on or after this ISO date')
    .option('--to <date>', 'answers up to and including this ISO date')
    .option('--limit <n>', 'at most this many', positiveInt('--limit'), 50)
    .option('--taxonomy <file>', 'a topic taxonomy JSON file instead of the default one')
    .action(async (flags: CommentFlags) => {
      if (flags.sentiment !== undefined && !['positive', 'negative', 'neutral'].includes(flags.sentiment)) {
        throw new AppError('usage', `--sentiment ${flags.sentiment}: use positive, negative or neutral`);
      }
      const rows = await withStore(ctx, (store) =>
        listComments(store, {
          topic: flags.topic,
          sentiment: flags.sentiment as SentimentLabel | undefined,
          scope: flags.scope,
          metric: flags.metric,
          from: flags.from === undefined ? undefined : parseBound('--from', flags.from, false),
          to: flags.to === undefined ? undefined : parseBound('--to', flags.to, true),
          limit: flags.limit,
          taxonomy: taxonomyFrom(flags.taxonomy),
        }),
      );
      if (ctx.global().json) return printJson(ctx.io, rows);
      if (rows.length === 0) return ctx.io.out('No comments match.');
      ctx.io.out(
        table(
          ['answer', 'score', 'sentiment', 'scorer', 'topics', 'comment'],
          rows.map((r) => [r.response_id, `${r.metric} ${r.score}`, r.sentiment, r.scorer, r.topics.join(', '), r.comment.replace(/\s+/g, ' ')]),
        ),
      );
    });

  feedback
    .command('topics')
    .description('comments per topic, with how many are negative or positive')
    .option('--taxonomy <file>', 'a topic taxonomy JSON file instead of the default one')
    .action(async (flags: { taxonomy?: string }) => {
      const taxonomy = taxonomyFrom(flags.taxonomy);
      const rows = await withStore(ctx, (store) => topicSummary(store, taxonomy === undefined ? {} : { taxonomy }));
      if (ctx.global().json) return printJson(ctx.io, rows);
      ctx.io.out(table(['topic', 'comments', 'negative', 'positive', 'mean sentiment'], rows.map((r) => [r.label, r.comments, r.negative, r.positive, r.mean_sentiment])));
    });

  feedback
    .command('train')
    .description('learn sentiment from the scored survey comments (a new model version), or say why there is too little')
    .action(async () => {
      const result = await withStore(ctx, (store) => trainSentimentModel(store));
      if (ctx.global().json) return printJson(ctx.io, result);
      ctx.io.out(result.trained ? `Trained ${result.scorer} on ${result.examples} scored comments; comments are read with it from now on.` : `Not trained: ${result.reason}.`);
    });

  feedback
    .command('praise')
    .description('praise customers gave named employees, by team')
    .option('--team <team>', 'only this team')
    .action(async (flags: { team?: string }) => {
      const rows = await withStore(ctx, (store) => listPraise(store, { team: flags.team }));
      if (ctx.global().json) return printJson(ctx.io, rows);
      if (rows.length === 0) return ctx.io.out('No praise yet: no comment reads as agent praise, and no survey answer named an employee.');
      ctx.io.out(table(['when', 'employee', 'team', 'what they said'], rows.map((r) => [r.ts.slice(0, 16), r.staff_id ?? '(not named)', r.team, r.text ?? ''])));
    });
}
