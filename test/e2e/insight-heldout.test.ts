/**
 * Fair attribution, drivers, switching risk and promises on a held-out demo world: a seed no
 * analysis was tuned on, where the most skilled agents take the escalations, a few steps break,
 * credit promises break often, two store employees are rude, and some customers cancel late in
 * the period. The issue's "done when" targets are checked against the generator's ground truth,
 * on DuckDB and on PostgreSQL, where every document must also be the same as on DuckDB.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { writeDemo } from '../../src/demo/index.ts';
import type { Planted } from '../../src/demo/index.ts';
import { importFiles } from '../../src/ingest/import.ts';
import { agentsAnalysis, CANCELLATIONS_SQL, driversReport, promisesReport, riskAnalysis, spearman, syncPromiseCases } from '../../src/insight/index.ts';
import type { AgentsAnalysis, Driver, RiskAnalysis } from '../../src/insight/index.ts';
import { auc } from '../../src/insight/stats.ts';
import { openStore } from '../../src/store/open.ts';
import type { Store } from '../../src/store/store.ts';
import { tempDir } from '../support/fixtures.ts';
import { describeOn, once, StoreAnswers, storeTargets } from '../support/store-targets.ts';

const HELD_OUT_SEED = 4242;
const END = new Date('2026-06-30T00:00:00Z');
const DAY = 24 * 3600 * 1000;
const HORIZON_DAYS = 30;

// One world for both stores, generated once: it is the largest of the held-out worlds.
const heldOutWorld = once(() => writeDemo(path.join(tempDir('throughline-insight-'), 'data'), { customers: 1800, days: 90, seed: HELD_OUT_SEED, end: END }));
const docs = new StoreAnswers();

for (const target of storeTargets()) describeOn(target, 'insight on a held-out demo dataset', () => {
  let store: Store;
  let planted: Planted;
  let agents: AgentsAnalysis;
  let drivers: Driver[];
  let risk: RiskAnalysis;
  let cancelled: Map<string, number>;
  const asOf = END.getTime() - HORIZON_DAYS * DAY;

  before(async () => {
    const demo = await heldOutWorld();
    planted = demo.planted;
    store = await openStore(await target.freshLocation('insight'));
    await importFiles(store, Object.values(demo.files).map((f) => f.path));
    agents = docs.keep(target, 'agents', await agentsAnalysis(store));
    drivers = docs.keep(target, 'drivers', await driversReport(store, { metric: 'nps' }));
    // Fitted and scored with the data before `asOf` only; the cancellations after it are the held-out outcome.
    risk = docs.keep(target, 'risk', await riskAnalysis(store, { asOf, horizonDays: HORIZON_DAYS }));
    cancelled = new Map((await store.query(CANCELLATIONS_SQL)).map((r) => [String(r.customer_key), Number(r.at)]));
  });

  after(async () => {
    await store?.close();
  });

  test('the adjusted ranking agrees with true skill (Spearman ≥ 0.7), clearly better than the raw ranking', (t) => {
    const skill = new Map(planted.agents.map((a) => [a.agent_id, a.skill]));
    const scored = agents.agents.filter((a) => skill.has(a.agent_id));
    assert.equal(scored.length, planted.agents.filter((a) => a.csat_responses > 0).length, 'every employee with answers is scored');
    const truth = scored.map((a) => skill.get(a.agent_id)!);
    const raw = spearman(scored.map((a) => a.raw_csat), truth);
    const adjusted = spearman(scored.map((a) => a.adjusted_csat), truth);
    t.diagnostic(`Spearman with true skill over ${scored.length} employees: raw ${raw.toFixed(3)}, adjusted ${adjusted.toFixed(3)}`);
    assert.ok(adjusted >= 0.7, `adjusted Spearman ${adjusted.toFixed(3)}`);
    assert.ok(adjusted >= raw + 0.2, `adjusted ${adjusted.toFixed(3)} is not clearly above raw ${raw.toFixed(3)}`);
  });

  test('every escalation agent ranks higher once inherited friction is accounted for', () => {
    for (const id of planted.escalation_agents) {
      const a = agents.agents.find((x) => x.agent_id === id);
      assert.ok(a, `${id} is scored`);
      assert.ok(a.rank_adjusted < a.rank_raw, `${id}: raw rank ${a.rank_raw}, adjusted ${a.rank_adjusted}`);
      assert.ok(a.inherited_friction > 0, `${id} inherited friction`);
    }
  });

  test('the planted causes of detractors are the top drivers, above the factors that travel with them', (t) => {
    const causes = [
      ...planted.broken_steps.map((s) => `${s.channel}:${s.activity} failure`),
      'broken promise: credit',
      ...planted.rude_staff.map((id) => `store staff ${id}`),
    ];
    const rank = new Map(drivers.map((d, i) => [d.factor, i + 1]));
    t.diagnostic(`top drivers: ${drivers.slice(0, 10).map((d, i) => `${i + 1}. ${d.factor} (${(d.effect * 100).toFixed(1)} points, n ${d.exposed})`).join('; ')}`);
    for (const c of causes) assert.ok(rank.has(c), `${c} is estimated`);
    const travellers = [
      ...planted.escalation_agents.map((id) => `agent ${id}`),
      ...planted.decoy_steps.map((s) => `${s.channel}:${s.activity} failure`),
      'channel switch',
      'repeat contact',
    ].filter((f) => rank.has(f));
    const lowestCause = Math.max(...causes.map((c) => rank.get(c)!));
    for (const f of travellers) assert.ok(rank.get(f)! > lowestCause, `${f} (rank ${rank.get(f)}) is above a planted cause (lowest at ${lowestCause})`);
    assert.ok(lowestCause <= causes.length + 2, `the ${causes.length} planted causes are within the top ${causes.length + 2} (lowest at ${lowestCause})`);
    for (const c of causes) {
      const d = drivers.find((x) => x.factor === c)!;
      assert.ok(d.ci95[0] > 0, `${c}: its interval ${d.ci95.join('–')} excludes no effect`);
    }
  });

  test('the risk score ranks the customers who cancel later above those who stay (AUC ≥ 0.75)', (t) => {
    assert.equal(risk.model.source, 'fitted');
    const labels = risk.scores.map((s) => {
      const at = cancelled.get(s.customer_key);
      return at !== undefined && at >= asOf && at < END.getTime();
    });
    const positives = labels.filter(Boolean).length;
    const value = auc(risk.scores.map((s) => s.score), labels);
    t.diagnostic(
      `AUC ${value.toFixed(3)} over ${risk.scores.length} customers, ${positives} of whom cancelled in the ${HORIZON_DAYS} held-out days; ` +
        `fitted on ${risk.model.training_cancellations} earlier cancellations`,
    );
    assert.ok(positives >= 20, `enough later cancellations to judge (${positives})`);
    assert.ok(value >= 0.75, `AUC ${value.toFixed(3)}`);
    for (const s of risk.scores) assert.ok(s.score >= 0 && s.score <= 1);
    const top = risk.scores[0]!;
    assert.ok(top.reasons.length > 0, 'the riskiest customer has reasons');
  });

  test('credit promises have the worst kept rate, and each broken promise opens one case', async () => {
    const now = END.getTime();
    const doc = docs.keep(target, 'promises', await promisesReport(store, { now }));
    const credit = doc.by_kind.find((k) => k.kind === 'credit')!;
    for (const k of doc.by_kind) if (k.kind !== 'credit' && k.promises >= 30) assert.ok(k.kept_rate! > credit.kept_rate!, `${k.kind} kept more often than credit`);
    assert.equal(doc.overdue, doc.broken.length);
    const opened = docs.keep(target, 'cases opened for broken promises', await store.transaction((tx) => syncPromiseCases(tx, { now })));
    assert.equal(opened.length, doc.broken.length);
    assert.deepEqual(await syncPromiseCases(store, { now }), [], 'a second run opens nothing');
    const after = docs.keep(target, 'promises after their cases', await promisesReport(store, { now }));
    assert.ok(after.broken.every((b) => b.case_id !== null), 'every broken promise names its case');
  });

  if (target.dialect !== 'duckdb') {
    test('agents, drivers, risk, promises and the cases they open are the same documents as on DuckDB', () => {
      docs.assertSameAsDuckDb(target);
    });
  }
});
