import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { describeOn, StoreAnswers, storeTargets } from '../../test/support/store-targets.ts';
import { saveSurvey } from '../feedback/surveys.ts';
import { createTestSurvey } from '../feedback/test-fixture.ts';
import { writeCsv } from '../journey/testing.ts';
import { importFiles } from '../ingest/import.ts';
import { openStore } from '../store/open.ts';
import type { Store } from '../store/store.ts';
import { agentsReport } from './agents.ts';
import { teamsAnalysis, teamsReport } from './teams.ts';
import { at, createTestDir, createTestEvent, createTestFeedback, writeInsightFiles } from './testing.ts';
import type { Cells } from './testing.ts';

/**
 * Two teams of a directory: `north` (AG-N1, AG-N2) whose five employees answered the pulse
 * survey, and `south` (AG-S1, AG-S2) where only four did. Each agent serves twelve customers
 * who rate the call and, half of them, the company.
 */
function world(): { interactions: Cells[]; feedback: Cells[]; staff: Cells[]; employee: Cells[] } {
  const interactions: Cells[] = [];
  const feedback: Cells[] = [];
  let n = 0;
  for (const [agent, csat, nps] of [
    ['AG-N1', 5, 9],
    ['AG-N2', 4, 10],
    ['AG-S1', 3, 3],
    ['AG-S2', 2, 5],
  ] as const) {
    for (let i = 0; i < 12; i++) {
      const customer = `C${++n}`;
      const call = createTestEvent({ customer_id: customer, ts: at(i, 10), channel: 'call', activity: 'pay_bill/agent_payment', agent_id: agent });
      interactions.push(call);
      feedback.push(createTestFeedback({ customer_id: customer, ts: at(i, 30), event_id: call.event_id, score: i % 4 === 0 ? Math.max(1, csat - 1) : csat }));
      if (i % 2 === 0) feedback.push(createTestFeedback({ customer_id: customer, ts: at(i, 600), metric: 'nps', scope: 'relationship', survey_id: 'rel', score: nps }));
    }
  }
  const staff: Cells[] = [
    { employee_id: 'AG-N1', name: 'Nora North', team: 'north', site: 'Tulsa', role: 'agent', email: 'nora@example.com' },
    { employee_id: 'AG-N2', name: 'Ned North', team: 'north', site: 'Tulsa', role: 'agent' },
    { employee_id: 'AG-N3', name: 'Nia North', team: 'north', site: 'Tulsa', role: 'agent' },
    { employee_id: 'AG-S1', name: 'Sam South', team: 'south', site: 'Reno', role: 'agent' },
    { employee_id: 'AG-S2', name: 'Sue South', team: 'south', site: 'Reno', role: 'agent' },
  ];
  const employee: Cells[] = [];
  let r = 0;
  const answer = (team: string, who: string | undefined, metric: string, score: number): void => {
    employee.push({ response_id: `EF-${++r}`, ts: at(20), survey_id: 'pulse', metric, score, team, employee_id: who });
  };
  // north: five respondents (two without an id); AG-N1 answered twice and counts once, with the later answer.
  employee.push({ response_id: 'EF-early', ts: at(5), survey_id: 'pulse', metric: 'enps', score: 0, team: 'north', employee_id: 'AG-N1' });
  for (const [who, score] of [['AG-N1', 10], ['AG-N2', 9], ['AG-N3', 8], [undefined, 10], [undefined, 6]] as const) {
    answer('north', who, 'enps', score);
    answer('north', who, 'engagement', 4);
  }
  // south: four respondents only.
  for (const [who, score] of [['AG-S1', 2], ['AG-S2', 3], ['AG-S9', 4], [undefined, 10]] as const) {
    answer('south', who, 'enps', score);
    answer('south', who, 'engagement', 2);
  }
  return { interactions, feedback, staff, employee };
}

const documents = new StoreAnswers();

for (const target of storeTargets()) describeOn(target, 'teams and the staff directory', () => {
  let store: Store;
  let dir: string;
  let remove: () => Promise<void>;
  let rejectsText = '';
  let summary: Awaited<ReturnType<typeof importFiles>>;

  before(async () => {
    const d = await createTestDir();
    dir = d.dir;
    remove = d.remove;
    store = await openStore(await target.freshLocation('teams'));
    const w = world();
    const files = await writeInsightFiles(dir, { interactions: w.interactions, feedback: w.feedback });
    files.push(await writeCsv(dir, 'staff.csv', w.staff));
    files.push(
      await writeCsv(dir, 'employee_feedback.csv', [
        ...w.employee,
        // Bad answers: each rejected with its reason, the rest imported.
        { response_id: 'EF-bad1', ts: at(20), survey_id: 'pulse', metric: 'enps', score: 11, team: 'north' },
        { response_id: 'EF-bad2', ts: at(20), survey_id: 'pulse', metric: 'enps', score: 7, team: '' },
        { response_id: 'EF-bad3', ts: at(20), survey_id: 'pulse', metric: 'happiness', score: 3, team: 'north' },
      ]),
    );
    summary = await importFiles(store, files, { rejectsPath: `${dir}/rejects.jsonl` });
    rejectsText = await readFile(`${dir}/rejects.jsonl`, 'utf8');
  });

  after(async () => {
    await store.close();
    await remove();
  });

  test('a staff directory and employee answers import as their kinds, and bad answers are rejected with the reason', () => {
    assert.equal(summary.imported.staff, 5);
    assert.equal(summary.imported.employee_feedback, 2 * 5 + 1 + 2 * 4);
    assert.equal(summary.rejected, 3);
    assert.match(rejectsText, /"line":21,"reason":"score 11 is outside enps's range 0–10"/);
    assert.match(rejectsText, /missing team/);
    assert.match(rejectsText, /metric \\"happiness\\" is not one of enps, engagement/);
    assert.equal(summary.customers, 48, 'an employee file makes no customers, nor does an email in the directory');
  });

  test('teams follows docs/cli.md: a team with four employee answers shows enps null', async () => {
    const teams = documents.keep(target, 'teams', await teamsReport(store));
    for (const t of teams) {
      for (const field of ['team', 'agents', 'contacts', 'adjusted_csat', 'ci95', 'praise', 'enps', 'enps_n']) assert.ok(field in t, `${field} in ${JSON.stringify(t)}`);
    }
    const north = teams.find((t) => t.team === 'north')!;
    const south = teams.find((t) => t.team === 'south')!;
    assert.equal(south.enps_n, 4);
    assert.equal(south.enps, null, 'four answers are too few to show');
    assert.equal(south.engagement, null);
    assert.equal(north.enps_n, 5, "AG-N1's two answers count once");
    // The later of AG-N1's answers (10), then 9, 8, 10, 6: three promoters, one detractor of five.
    assert.equal(north.enps, 40);
    assert.equal(north.engagement, 4);
    assert.equal(north.agents, 3, 'from the directory, including the employee with no answers');
    assert.equal(north.contacts, 24);
    assert.ok(north.adjusted_csat! > south.adjusted_csat!);
    assert.ok(north.ci95![0] < north.adjusted_csat! && north.adjusted_csat! < north.ci95![1]);
    assert.equal(north.relationship_nps_n, 12);
    assert.equal(north.relationship_nps, 100);
    assert.equal(teams[0]!.team, 'north', 'teams in order of adjusted CSAT');
    assert.ok(!JSON.stringify(teams).includes('AG-'), 'no employee id appears in the teams document');
  });

  test('the association across teams comes with the caution that it is not causal', async () => {
    const a = await teamsAnalysis(store);
    assert.match(a.caution, /not causal/);
    const enpsCsat = a.association.find((x) => x.x === 'enps' && x.y === 'adjusted_csat')!;
    assert.equal(enpsCsat.teams, 1, 'only north shows an eNPS');
    assert.equal(enpsCsat.r, null);
  });

  test('agents take their team from the directory', async () => {
    const agents = await agentsReport(store);
    assert.equal(agents.find((x) => x.agent_id === 'AG-S2')?.team, 'south');
  });

  test('re-importing a directory replaces the rows it names and keeps the others', async () => {
    const file = await writeCsv(dir, 'staff2.csv', [{ employee_id: 'AG-S2', name: 'Sue South', team: 'north', site: 'Tulsa', role: 'agent' }]);
    const again = await importFiles(store, [file]);
    assert.equal(again.imported.staff, 1);
    const rows = await store.query(`SELECT staff_id, team FROM staff ORDER BY staff_id`);
    assert.deepEqual(
      rows.map((r) => [r.staff_id, r.team]),
      [['AG-N1', 'north'], ['AG-N2', 'north'], ['AG-N3', 'north'], ['AG-S1', 'south'], ['AG-S2', 'north']],
    );
    const agents = await agentsReport(store);
    assert.equal(agents.find((x) => x.agent_id === 'AG-S2')?.team, 'north');
    const [email] = await store.query(`SELECT attrs, email FROM staff WHERE staff_id = 'AG-N1'`);
    assert.equal(email!.email, null, "an employee's email is no customer identifier");
    assert.match(String(email!.attrs), /nora@example.com/);
  });

  test("a survey's staff list fills in people the directory lacks and never overrides it", async () => {
    await saveSurvey(store, createTestSurvey({ id: 'rel_sms', staff: [
      { id: 'AG-N1', name: 'Someone Else', team: 'elsewhere' },
      { id: 'ST-9', name: 'Store Person', team: 'stores', store: 'Downtown' },
    ] }), Date.now());
    const rows = await store.query(`SELECT staff_id, name, team, site FROM staff WHERE staff_id IN ('AG-N1', 'ST-9') ORDER BY staff_id`);
    assert.deepEqual(
      rows.map((r) => [r.staff_id, r.name, r.team, r.site]),
      [['AG-N1', 'Nora North', 'north', 'Tulsa'], ['ST-9', 'Store Person', 'stores', 'Downtown']],
    );
  });

  if (target.dialect !== 'duckdb') {
    test('the teams document is the same as on DuckDB', () => {
      documents.assertSameAsDuckDb(target);
    });
  }
});
