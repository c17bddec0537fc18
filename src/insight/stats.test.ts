import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { auc, averageRanks, descendingRanks, fitLogistic, fitMixedLinear, fitWithinShrunk, invertSpd, sigmoid, spearman } from './stats.ts';
import { createTestRandom } from '../journey/testing.ts';

/** Uniforms from the shared seeded generator, and Box–Muller normals: the same data on every run. */
function createTestRandoms(seed: number): { uniform: () => number; normal: () => number } {
  const uniform = createTestRandom(seed);
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}

describe('linear algebra', () => {
  test('the inverse of a symmetric positive definite matrix times the matrix is the identity', () => {
    const a = [
      [4, 1, 0.5],
      [1, 3, 0.2],
      [0.5, 0.2, 2],
    ];
    const inv = invertSpd(a);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        const v = a[i]!.reduce((s, x, k) => s + x * inv[k]![j]!, 0);
        assert.ok(Math.abs(v - (i === j ? 1 : 0)) < 1e-12);
      }
    }
  });
});

describe('penalised logistic regression', () => {
  test('it recovers known coefficients from synthetic data', () => {
    const rng = createTestRandoms(11);
    const truth = [-1.2, 1.5, -0.8, 0.6];
    const x: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const row = [1, rng.uniform() < 0.3 ? 1 : 0, rng.normal(), rng.uniform() < 0.5 ? 1 : 0];
      x.push(row);
      y.push(rng.uniform() < sigmoid(row.reduce((s, v, j) => s + v * truth[j]!, 0)) ? 1 : 0);
    }
    const fit = fitLogistic(x, y, { penalty: [0, 0.01, 0.01, 0.01] });
    assert.ok(fit.converged);
    truth.forEach((b, j) => {
      const se = Math.sqrt(fit.cov[j]![j]!);
      assert.ok(Math.abs(fit.coef[j]! - b) < 3.5 * se, `coefficient ${j}: ${fit.coef[j]} vs ${b} (se ${se})`);
      assert.ok(se < 0.08, `coefficient ${j} is estimated precisely (se ${se})`);
    });
  });

  test('a penalty keeps a perfectly separating factor finite and pulls it towards its prior mean', () => {
    const x = [
      [1, 1],
      [1, 1],
      [1, 0],
      [1, 0],
      [1, 0],
    ];
    const y = [1, 1, 0, 1, 0];
    const free = fitLogistic(x, y, { penalty: [0, 1] });
    assert.ok(free.converged && Number.isFinite(free.coef[1]!) && free.coef[1]! > 0);
    const pulled = fitLogistic(x, y, { penalty: [0, 1000], priorMean: [0, -2] });
    assert.ok(Math.abs(pulled.coef[1]! + 2) < 0.01, `a strong prior wins: ${pulled.coef[1]}`);
  });
});

describe('linear mixed model with a random intercept', () => {
  test('it recovers the fixed effects and both variance components from synthetic data', () => {
    const rng = createTestRandoms(7);
    const q = 60;
    const tau = 0.5;
    const sigma = 1;
    const effects = Array.from({ length: q }, () => tau * rng.normal());
    const y: number[] = [];
    const x: number[][] = [];
    const groups: number[] = [];
    for (let i = 0; i < 6000; i++) {
      const g = Math.floor(rng.uniform() * q);
      // The covariate is correlated with the group, as friction is with escalation agents.
      const friction = rng.uniform() < 0.2 + 0.6 * (g % 2) ? 1 : 0;
      const wait = rng.uniform() * 5;
      x.push([1, friction, wait]);
      groups.push(g);
      y.push(4 - 1.5 * friction - 0.2 * wait + effects[g]! + sigma * rng.normal());
    }
    const fit = fitMixedLinear(y, x, groups, q);
    assert.ok(fit.converged);
    assert.ok(Math.abs(fit.beta[1]! + 1.5) < 0.08, `friction effect ${fit.beta[1]}`);
    assert.ok(Math.abs(fit.beta[2]! + 0.2) < 0.03, `wait effect ${fit.beta[2]}`);
    assert.ok(Math.abs(fit.sigma2 - 1) < 0.08, `σ² ${fit.sigma2}`);
    assert.ok(Math.abs(fit.tau2 - 0.25) < 0.12, `τ² ${fit.tau2}`);
    assert.ok(spearman(fit.u, effects) > 0.9, 'the predicted group effects order the groups as the true ones do');
  });

  test('a group with few observations is shrunk towards the average more than a group with many', () => {
    const rng = createTestRandoms(3);
    const y: number[] = [];
    const groups: number[] = [];
    // Groups 0–9 hold 50 answers each around 3; group 10 holds 2, group 11 holds 50, both around 4.5.
    for (let g = 0; g < 12; g++) {
      const n = g === 10 ? 2 : 50;
      for (let i = 0; i < n; i++) {
        groups.push(g);
        y.push((g >= 10 ? 4.5 : 3 + 0.2 * rng.normal()) + 0.8 * rng.normal());
      }
    }
    const fit = fitMixedLinear(y, y.map(() => [1]), groups, 12);
    const few = fit.u[10]!;
    const many = fit.u[11]!;
    assert.ok(few > 0 && many > few, `shrunk ${few} below ${many}`);
    const varFew = fit.cov[1 + 10]![1 + 10]!;
    const varMany = fit.cov[1 + 11]![1 + 11]!;
    assert.ok(varFew > 3 * varMany, 'and it is less certain');
  });
});

describe('effects learnt within groups, then group effects shrunk', () => {
  // 40 groups of 12; the better the group, the more of its rows carry the covariate (the best
  // agents take the friction calls), and the covariate costs 1 point.
  function confounded(): { y: number[]; x: number[][]; groups: number[]; effects: number[] } {
    const rng = createTestRandoms(5);
    const effects = Array.from({ length: 40 }, (_, g) => -0.6 + (1.2 * g) / 39);
    const y: number[] = [];
    const x: number[][] = [];
    const groups: number[] = [];
    effects.forEach((e, g) => {
      for (let i = 0; i < 12; i++) {
        const friction = rng.uniform() < 0.1 + (0.8 * g) / 39 ? 1 : 0;
        x.push([friction]);
        groups.push(g);
        y.push(4 + e - friction + rng.normal());
      }
    });
    return { y, x, groups, effects };
  }

  test('the covariate effect is recovered where the covariate goes with the group effects, unlike a random intercept', () => {
    const { y, x, groups, effects } = confounded();
    const within = fitWithinShrunk(y, x, groups, effects.length);
    const mixed = fitMixedLinear(y, x.map((r) => [1, ...r]), groups, effects.length);
    assert.ok(Math.abs(within.beta[0]! + 1) < 0.15, `within: ${within.beta[0]}`);
    assert.ok(Math.abs(mixed.beta[1]! + 1) > Math.abs(within.beta[0]! + 1) + 0.1, `the random intercept alone is pulled towards 0: ${mixed.beta[1]}`);
    const se = Math.sqrt(within.betaCov[0]![0]!);
    assert.ok(se > 0.03 && se < 0.15, `its standard error ${se}`);
    assert.ok(spearman(within.groups.u, effects) > 0.7, 'the shrunk group effects order the groups as the true ones do');
    assert.ok(within.shrink.every((w) => w > 0 && w < 1));
  });
});

describe('rank statistics', () => {
  test('Spearman ρ of the textbook IQ and television example is −29/165', () => {
    const iq = [106, 86, 100, 101, 99, 103, 97, 113, 112, 110];
    const tv = [7, 0, 27, 50, 28, 29, 20, 12, 6, 17];
    assert.ok(Math.abs(spearman(iq, tv) - -29 / 165) < 1e-12);
  });

  test('Spearman ρ is 1 for any increasing relation, −1 for a decreasing one, and handles ties', () => {
    assert.equal(spearman([1, 2, 3, 4], [1, 8, 27, 64]), 1);
    assert.equal(spearman([1, 2, 3, 4], [4, 3, 2, 1]), -1);
    assert.deepEqual(averageRanks([10, 20, 20, 30]), [1, 2.5, 2.5, 4]);
    assert.ok(Math.abs(spearman([1, 2, 3, 4], [1, 2, 2, 3]) - 0.9486832980505138) < 1e-12);
  });

  test('the AUC is the share of positive–negative pairs ranked the right way, ties counting half', () => {
    assert.equal(auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.75);
    assert.equal(auc([0.5, 0.5], [true, false]), 0.5);
    assert.equal(auc([0.9, 0.8, 0.1], [1, 1, 0]), 1);
    assert.ok(Number.isNaN(auc([0.1, 0.2], [0, 0])));
  });

  test('descending ranks give 1 to the highest value and share ranks on ties', () => {
    assert.deepEqual(descendingRanks([3.2, 4.1, 3.2, 2]), [2, 1, 2, 4]);
  });
});
