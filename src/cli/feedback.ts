/** `throughline feedback`: comment verbatims by topic and sentiment, the topic summary, routed praise. */
import fs from 'node:fs';
import type { Command } from 'commander';
import { AppError } from '../core/errors.ts';
import { listComments, saveTaxonomy, taxonomyInForce, TEXT_SOURCES, TOPIC_VIEWS, topicSummary } from '../feedback/comments.ts';
import type { TextSource, TopicView } from '../feedback/comments.ts';
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
  source: string;
  view: string;
  topic?: string;
  sentiment?: string;
  scope?: string;
  metric?: string;
  from?: string;
  to?: string;
  limit: number;
  taxonomy?: string;
}

function sourceFrom(source: string): TextSource {
  if (!(TEXT_SOURCES as readonly string[]).includes(source)) throw new AppError('usage', `--source ${source}: use ${TEXT_SOURCES.join(', ')}`);
  return source as TextSource;
}

function viewFrom(view: string): TopicView {
  if (!(TOPIC_VIEWS as readonly string[]).includes(view)) throw new AppError('usage', `--view ${view}: use ${TOPIC_VIEWS.join(' or ')}`);
  return view as TopicView;
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
    .description('what customers wrote (survey comments, messages) with sentiment and topics, most negative first')
    .option('--source <source>', 'feedback (survey comments), messages (customers\' messages) or all', 'feedback')
    .option('--topic <id>', 'a topic id of `feedback topics` (or of --taxonomy)')
    .option('--view <view>', 'discovered topics: those of `feedback topics --view` negative (default) or all', 'negative')
    .option('--sentiment <label>', 'positive, negative or neutral')
    .option('--scope <scope>', 'relationship or transaction')
    .option('--metric <metric>', 'nps, csat or ces')
    .option('--from <date>', 'answers on or after this ISO date')
    .option('--to <date>', 'answers up to and including this ISO date')
    .option('--limit <n>', 'at most this many', positiveInt('--limit'), 50)
    .option('--taxonomy <file>', 'a topic taxonomy JSON file instead of the store\'s or discovered topics')
    .action(async (flags: CommentFlags) => {
      const source = sourceFrom(flags.source);
      const view = viewFrom(flags.view);
      if (flags.sentiment !== undefined && !['positive', 'negative', 'neutral'].includes(flags.sentiment)) {
        throw new AppError('usage', `--sentiment ${flags.sentiment}: use positive, negative or neutral`);
      }
      const rows = await withStore(ctx, (store) =>
        listComments(store, {
          source,
          view,
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
          ['from', 'id', 'score', 'sentiment', 'scorer', 'topics', 'text'],
          rows.map((r) => [r.source, r.id, r.metric === null ? '' : `${r.metric} ${r.score}`, r.sentiment, r.scorer, r.topics.join(', '), r.text.replace(/\s+/g, ' ')]),
        ),
      );
    });

  feedback
    .command('topics')
    .description('topics of what customers wrote, with how many texts are negative or positive; those of negative texts first')
    .option('--source <source>', 'feedback (survey comments), messages (customers\' messages) or all', 'feedback')
    .option('--view <view>', 'negative (topics found in negative texts, most negative first) or all (found in every text, largest first)', 'negative')
    .option('--taxonomy <file>', 'a topic taxonomy JSON file instead of the store\'s or discovered topics')
    .action(async (flags: { source: string; view: string; taxonomy?: string }) => {
      const source = sourceFrom(flags.source);
      const taxonomy = taxonomyFrom(flags.taxonomy);
      const rows = await withStore(ctx, (store) => topicSummary(store, { source, view: viewFrom(flags.view), ...(taxonomy === undefined ? {} : { taxonomy }) }));
      if (ctx.global().json) return printJson(ctx.io, rows);
      if (rows.length === 0) return ctx.io.out('No texts to find topics in yet.');
      ctx.io.out(
        table(
          ['topic', 'keywords', 'texts', 'negative', 'positive', 'mean sentiment', 'example'],
          rows.map((r) => [r.label, r.keywords.slice(0, 5).join(', '), r.comments, r.negative, r.positive, r.mean_sentiment, (r.examples[0]?.text ?? '').replace(/\s+/g, ' ').slice(0, 80)]),
        ),
      );
    });

  feedback
    .command('taxonomy [file]')
    .description("store a topic taxonomy for this store's topics (instead of discovered ones); without FILE, say which is in force")
    .option('--clear', 'forget the stored taxonomy: topics are discovered from the texts again')
    .action(async (file: string | undefined, flags: { clear?: boolean }) => {
      const given = taxonomyFrom(file);
      const inForce = await withStore(ctx, async (store) => {
        if (flags.clear === true) await saveTaxonomy(store, null);
        else if (given !== undefined) await saveTaxonomy(store, given);
        return taxonomyInForce(store);
        // Storing a taxonomy may come before any data (npm start stores the demo's first).
      }, { create: given !== undefined });
      if (ctx.global().json) return printJson(ctx.io, inForce);
      ctx.io.out(inForce === null ? 'No taxonomy stored: topics are discovered from the texts.' : `Taxonomy in force: ${inForce.topics.map((t) => t.label).join(', ')}`);
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
