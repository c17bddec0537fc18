import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isAppError } from '../core/errors.ts';
import { DEFAULT_POLICIES, parsePolicies, validatePolicies } from './policies.ts';

test('an empty policy file means the documented defaults', () => {
  assert.deepEqual(validatePolicies({}), DEFAULT_POLICIES);
  assert.deepEqual(
    DEFAULT_POLICIES.frequency_caps.map((c) => `${c.max} ${c.channel} per ${c.days} days`),
    ['1 email per 7 days', '1 sms per 7 days'],
  );
});

test('a policy file overrides objects key by key and replaces lists', () => {
  const p = validatePolicies({ quiet_hours: { start: '22:00' }, frequency_caps: [{ channel: 'SMS', max: 2, days: 14 }] });
  assert.equal(p.quiet_hours.start, '22:00');
  assert.equal(p.quiet_hours.end, DEFAULT_POLICIES.quiet_hours.end);
  assert.deepEqual(p.frequency_caps, [{ channel: 'sms', kinds: ['offer'], max: 2, days: 14, count_intents: null }]);
  assert.deepEqual(p.value, DEFAULT_POLICIES.value);
});

test('a typo or a wrong value is refused with the path of the problem', () => {
  const problem = (input: unknown): string => {
    try {
      validatePolicies(input, 'policies.json');
    } catch (e) {
      assert.ok(isAppError(e) && e.code === 'usage');
      return e.message;
    }
    assert.fail('accepted');
  };
  assert.match(problem({ quiet_hour: {} }), /^policies\.json: quiet_hour is not a policy/);
  assert.match(problem({ quiet_hours: { start: '25:00' } }), /quiet_hours\.start must be HH:MM/);
  assert.match(problem({ frequency_caps: [{ channel: 'email', max: -1, days: 7 }] }), /frequency_caps\[0\]\.max must be a whole number/);
  assert.match(problem({ frequency_caps: [{ channel: 'email', max: 1, days: 7, kinds: ['spam'] }] }), /kinds\[0\] must be one of offer, service, survey, reminder/);
  assert.match(problem({ quiet_hours: { default_timezone: 'Mars/Olympus' } }), /default_timezone must be a time zone/);
  assert.match(problem({ value: { levers: { luck: 2 } } }), /value\.levers\.luck is not a policy/);
  assert.match(problem([]), /must be a JSON object/);
  assert.throws(() => parsePolicies('{', 'p.json'), /p\.json is not valid JSON/);
});
