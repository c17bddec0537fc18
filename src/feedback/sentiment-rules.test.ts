import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { labelOf, ruleSentiment } from './sentiment-rules.ts';

const score = (t: string): number => ruleSentiment(t);

describe('rule sentiment reads complaints as a person would', () => {
  test('every complaint quoted in issue 19 is negative', () => {
    for (const text of [
      'Still waiting for the credit the agent promised… That was weeks ago.',
      'It was not. I had to call again.',
      'Plan change online errored out…',
      'Had to contact you twice for the same thing',
      'Never received my refund.',
      'My order was cancelled and nobody told me.',
      'They lost my paperwork.',
      'On hold for an hour, then cut off.',
    ]) {
      assert.equal(labelOf(score(text)), 'negative', `"${text}" scored ${score(text).toFixed(3)}`);
    }
  });

  test('"It was okay" scores below "Great service", and neither is negative', () => {
    assert.ok(score('It was okay') < score('Great service'));
    assert.ok(score('It was okay') > 0);
    assert.equal(labelOf(score('Great service')), 'positive');
  });

  test('negation flips a word, and the completion words it negates read as failures', () => {
    assert.ok(score('The agent was helpful') > 0.2);
    assert.ok(score('The agent was not helpful') < 0);
    assert.ok(score('Not bad at all') > 0);
    assert.ok(score('The problem is fixed') > 0);
    assert.ok(score('The problem is not fixed') < 0);
    assert.ok(score("I haven't received it") < 0);
  });

  test('what follows "but" outweighs what comes before it', () => {
    assert.equal(labelOf(score('The agent was friendly but the problem is still not fixed')), 'negative');
    assert.equal(labelOf(score('It took a while, but the agent sorted it out and was lovely')), 'positive');
  });

  test('intensifiers strengthen and dampeners soften', () => {
    assert.ok(score('The service was very good') > score('The service was good'));
    assert.ok(score('The service was somewhat good') < score('The service was good'));
    assert.ok(score('The wait was extremely bad') < score('The wait was bad'));
  });

  test('courtesy is not praise: a polite request is not positive', () => {
    assert.notEqual(labelOf(score('Please fix the payment page, thanks')), 'positive');
    assert.notEqual(labelOf(score('Can someone please call me back about my bill?')), 'positive');
  });

  test('service praise is positive', () => {
    for (const text of ['Quick and easy, thank you!', 'Maria sorted it out in minutes, brilliant', 'No problems at all, would use again', 'Arrived on time as promised']) {
      assert.equal(labelOf(score(text)), 'positive', `"${text}" scored ${score(text).toFixed(3)}`);
    }
  });

  test('a sentence that ends in a negation denies what it said', () => {
    assert.equal(labelOf(score('Was told it would be sorted by now, it is not.')), 'negative');
    assert.equal(labelOf(score('They said the refund was processed. It was not.')), 'negative');
  });

  test('repeated attempts, a button that does nothing and the wish to leave are complaints', () => {
    for (const text of ['Took several tries to get anything done.', 'The reset button does nothing.', 'I am looking at other providers.', 'The price keeps going up.']) {
      assert.equal(labelOf(score(text)), 'negative', `"${text}" scored ${score(text).toFixed(3)}`);
    }
  });

  test('the cost grows linearly with the length of the text', () => {
    const unit = 'Still waiting for my refund, but the agent was kind. ';
    // A text 2,000 sentences long is read in one pass (a quadratic rule would take minutes).
    const long = unit.repeat(2000);
    assert.ok(score(long) < 0);
    assert.equal(score(''), 0);
  });
});
