import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseSurvey, SurveyDefinitionError, validateSurvey } from './survey-definition.ts';
import { createTestSurvey } from './test-fixture.ts';

function problems(input: unknown): string[] {
  try {
    validateSurvey(input);
  } catch (e) {
    assert.ok(e instanceof SurveyDefinitionError);
    assert.equal(e.code, 'input');
    return e.problems.map((p) => `${p.path}: ${p.reason}`);
  }
  assert.fail('expected the definition to be rejected');
}

describe('survey definitions', () => {
  test('a valid definition is accepted with its defaults filled in', () => {
    const s = validateSurvey(createTestSurvey({ contact_rules: undefined }));
    assert.equal(s.type, 'relationship');
    assert.deepEqual(s.questions[0]!.branches[0]!.when, { min: 0, max: 6 });
    assert.deepEqual(s.contact_rules, { cooldown_days: 30, max_per_period: { count: 3, days: 90 }, skip_if_open_case: true });
    assert.equal(s.link_expiry_hours, 72);
    assert.deepEqual(validateSurvey(JSON.parse(JSON.stringify(s))), s, 'a validated definition validates again unchanged');
  });

  test('every problem is reported with its path and reason', () => {
    const p = problems(
      createTestSurvey({
        type: 'quarterly',
        extra: 1,
        questions: [
          {
            id: 'nps',
            kind: 'nps',
            text: 'Hi {firstname}, how likely…?',
            branches: [
              { when: { min: 0, max: 6 }, message: 'Sorry to hear that. Next question!' },
              { when: { min: 5, max: 8 } },
              { when: 'promoter', next: 'nps', actions: [{ type: 'webhook', url: 'ftp://x' }] },
            ],
          },
          { id: 'pick', kind: 'choice', text: 'Which one?', choices: ['only one'] },
        ],
      }),
    );
    const expect = [
      /^\$\.extra: is not a known field/,
      /^\$\.type: must be relationship or transaction/,
      /^\$\.questions\[0\]\.text: \{firstname\} is not a placeholder/,
      /^\$\.questions\[0\]\.branches\[0\]\.message: says "sorry to hear"/,
      /^\$\.questions\[0\]\.branches\[0\]\.actions: answers of 0–6 are unhappy customers/,
      /^\$\.questions\[0\]\.branches\[0\]\.message: a reply to an unhappy customer must say what went wrong/,
      /^\$\.questions\[0\]\.branches\[1\]\.when: overlaps branches\[0\]/,
      /^\$\.questions\[0\]\.branches\[2\]\.actions\[0\]\.url: must be an http or https URL/,
      /^\$\.questions\[1\]\.choices: a choice question needs at least two/,
      /^\$\.questions\[0\]\.branches\[2\]\.next: "nps" is not after this question/,
    ];
    for (const re of expect) assert.ok(p.some((x) => re.test(x)), `missing ${re}; got:\n${p.join('\n')}`);
  });

  test('bands must fit the scale of the question', () => {
    const p = problems(createTestSurvey({ questions: [{ id: 'c', kind: 'csat', text: 'How was it?', branches: [{ when: 'detractor' }, { when: { min: 0, max: 9 } }] }] }));
    assert.ok(p.some((x) => x.startsWith('$.questions[0].branches[0].when: "detractor" is not a csat band')));
    assert.ok(p.some((x) => x.startsWith('$.questions[0].branches[1].when: must be whole scores with 1 ≤ min ≤ max ≤ 5')));
  });

  test('text that is not JSON is a problem at the root', () => {
    assert.throws(() => parseSurvey('{"id": ', 'bad.json'), (e) => e instanceof SurveyDefinitionError && /bad\.json is not valid: \$: is not JSON/.test(e.message));
  });
});
