/**
 * The small statistics the insight analyses need, written out so that every number they print
 * can be traced to a formula in docs/attribution.md or docs/risk.md: dense linear algebra for
 * systems of a few hundred unknowns, a penalised logistic regression fitted by Newton–Raphson
 * (IRLS), a linear mixed model with one random intercept fitted by EM-REML (alone, or on what is
 * left after effects learnt within groups), Spearman's rank correlation and the AUC. No
 * dependency does this for us, and the models are small.
 */

/** z of a two-sided 95% normal interval. */
export const Z95 = 1.959963984540054;

export type Matrix = number[][];

export function zeros(rows: number, cols: number): Matrix {
  return Array.from({ length: rows }, () => new Array<number>(cols).fill(0));
}

/**
 * Cholesky factor L (lower triangular, A = L·Lᵀ) of a symmetric positive definite matrix.
 * A pivot that is not positive means the system is singular: the callers' penalties make
 * that impossible, so it is an error here rather than a silent wrong answer.
 */
export function cholesky(a: Matrix): Matrix {
  const n = a.length;
  const l = zeros(n, n);
  for (let i = 0; i < n; i++) {
    const ai = a[i]!;
    const li = l[i]!;
    for (let j = 0; j <= i; j++) {
      const lj = l[j]!;
      let s = ai[j]!;
      for (let k = 0; k < j; k++) s -= li[k]! * lj[k]!;
      if (i === j) {
        if (!(s > 0)) throw new Error(`matrix is not positive definite (pivot ${s} at ${i})`);
        li[i] = Math.sqrt(s);
      } else {
        li[j] = s / lj[j]!;
      }
    }
  }
  return l;
}

/** Solves L·Lᵀ x = b for a Cholesky factor L. */
export function choleskySolve(l: Matrix, b: readonly number[]): number[] {
  const n = l.length;
  const y = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    const li = l[i]!;
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= li[k]! * y[k]!;
    y[i] = s / li[i]!;
  }
  const x = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < n; k++) s -= l[k]![i]! * x[k]!;
    x[i] = s / l[i]![i]!;
  }
  return x;
}

/** The inverse of a symmetric positive definite matrix, column by column from its Cholesky factor. */
export function invertSpd(a: Matrix): Matrix {
  const n = a.length;
  const l = cholesky(a);
  const inv = zeros(n, n);
  const e = new Array<number>(n).fill(0);
  for (let j = 0; j < n; j++) {
    e.fill(0);
    e[j] = 1;
    const col = choleskySolve(l, e);
    for (let i = 0; i < n; i++) inv[i]![j] = col[i]!;
  }
  return inv;
}

/** vᵀ·A·v for a symmetric A. */
export function quadForm(a: Matrix, v: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) {
    const vi = v[i]!;
    if (vi === 0) continue;
    const ai = a[i]!;
    for (let j = 0; j < v.length; j++) s += vi * ai[j]! * v[j]!;
  }
  return s;
}

export function dot(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

// ---------------------------------------------------------------------------------------------
// Penalised logistic regression

export interface LogisticOptions {
  /**
   * Gaussian prior precision per coefficient (ridge penalty ½·λ·(β − μ)²); 0 leaves a
   * coefficient free (the intercept, usually). A single number applies to every coefficient.
   */
  readonly penalty: number | readonly number[];
  /** Prior means μ the penalty pulls towards; zeros by default. */
  readonly priorMean?: readonly number[];
  readonly maxIterations?: number;
  /** Stop when no coefficient moves by more than this. */
  readonly tolerance?: number;
}

export interface LogisticFit {
  readonly coef: number[];
  /**
   * The inverse of the penalised information matrix at the optimum: the covariance of the
   * Laplace approximation to the posterior, used for Wald intervals.
   */
  readonly cov: Matrix;
  readonly iterations: number;
  readonly converged: boolean;
  /** Penalised log-likelihood at the optimum. */
  readonly logLik: number;
}

function penalisedLogLik(x: readonly (readonly number[])[], y: readonly number[], beta: readonly number[], lambda: readonly number[], mu: readonly number[]): number {
  let ll = 0;
  for (let i = 0; i < x.length; i++) {
    const eta = dot(x[i]!, beta);
    // log(1 + e^η) computed without overflow.
    const softplus = eta > 0 ? eta + Math.log1p(Math.exp(-eta)) : Math.log1p(Math.exp(eta));
    ll += y[i]! * eta - softplus;
  }
  for (let j = 0; j < beta.length; j++) ll -= 0.5 * lambda[j]! * (beta[j]! - mu[j]!) ** 2;
  return ll;
}

/**
 * Maximises Σ [yᵢ·ηᵢ − log(1 + e^ηᵢ)] − ½ Σ λⱼ(βⱼ − μⱼ)² with ηᵢ = xᵢ·β, by Newton–Raphson
 * (iteratively reweighted least squares) with step halving. The rows of `x` must carry their
 * own intercept column. With every λⱼ > 0 the problem is strictly concave, so it converges even
 * when a factor separates the outcomes perfectly, which unpenalised fits do not.
 *
 * @example
 * const fit = fitLogistic([[1, 0], [1, 1], [1, 1], [1, 0]], [0, 1, 0, 0], { penalty: [0, 1] });
 * fit.coef; // [intercept, effect of the second column on the log-odds]
 */
export function fitLogistic(x: readonly (readonly number[])[], y: readonly number[], options: LogisticOptions): LogisticFit {
  const p = x[0]?.length ?? 0;
  const lambda = typeof options.penalty === 'number' ? new Array<number>(p).fill(options.penalty) : [...options.penalty];
  const mu = options.priorMean === undefined ? new Array<number>(p).fill(0) : [...options.priorMean];
  if (lambda.length !== p || mu.length !== p) throw new Error(`penalty and prior need ${p} entries`);
  const maxIterations = options.maxIterations ?? 100;
  const tolerance = options.tolerance ?? 1e-8;
  let beta = [...mu];
  let ll = penalisedLogLik(x, y, beta, lambda, mu);
  let converged = false;
  let iterations = 0;
  let info = zeros(p, p);
  for (; iterations < maxIterations; iterations++) {
    const grad = new Array<number>(p).fill(0);
    info = zeros(p, p);
    for (let i = 0; i < x.length; i++) {
      const xi = x[i]!;
      const pi = sigmoid(dot(xi, beta));
      const w = pi * (1 - pi);
      const r = y[i]! - pi;
      for (let j = 0; j < p; j++) {
        const xij = xi[j]!;
        if (xij === 0) continue;
        grad[j]! += xij * r;
        const row = info[j]!;
        for (let k = 0; k <= j; k++) row[k]! += w * xij * xi[k]!;
      }
    }
    for (let j = 0; j < p; j++) {
      grad[j]! -= lambda[j]! * (beta[j]! - mu[j]!);
      info[j]![j]! += lambda[j]!;
      for (let k = 0; k < j; k++) info[k]![j] = info[j]![k]!;
    }
    const step = choleskySolve(cholesky(info), grad);
    // Newton steps can overshoot far from the optimum: halve until the objective improves.
    let scale = 1;
    let next = beta;
    let nextLl = ll;
    for (let h = 0; h < 30; h++) {
      next = beta.map((b, j) => b + scale * step[j]!);
      nextLl = penalisedLogLik(x, y, next, lambda, mu);
      if (nextLl >= ll - 1e-12) break;
      scale /= 2;
    }
    const moved = Math.max(...next.map((b, j) => Math.abs(b - beta[j]!)));
    beta = next;
    ll = nextLl;
    if (moved < tolerance) {
      converged = true;
      iterations++;
      break;
    }
  }
  // The information at the final coefficients, for the covariance.
  info = zeros(p, p);
  for (const xi of x) {
    const pi = sigmoid(dot(xi, beta));
    const w = pi * (1 - pi);
    for (let j = 0; j < p; j++) {
      const xij = xi[j]!;
      if (xij === 0) continue;
      for (let k = 0; k <= j; k++) info[j]![k]! += w * xij * xi[k]!;
    }
  }
  for (let j = 0; j < p; j++) {
    info[j]![j]! += lambda[j]!;
    for (let k = 0; k < j; k++) info[k]![j] = info[j]![k]!;
  }
  return { coef: beta, cov: invertSpd(info), iterations, converged, logLik: ll };
}

// ---------------------------------------------------------------------------------------------
// Linear mixed model with one random intercept

export interface MixedFit {
  /** Fixed effects, in the order of the columns of X. */
  readonly beta: number[];
  /** Best linear unbiased predictions of the group effects (shrunk towards 0). */
  readonly u: number[];
  /** Residual variance σ². */
  readonly sigma2: number;
  /** Variance of the group effects τ². */
  readonly tau2: number;
  /**
   * Prediction error covariance of (β, u): Var([β̂ − β; û − u]) = σ²·C, where C is the inverse
   * of the mixed-model equations' coefficient matrix. Rows and columns: β first, then u.
   */
  readonly cov: Matrix;
  readonly iterations: number;
  readonly converged: boolean;
}

export interface MixedOptions {
  readonly maxIterations?: number;
  /** Stop when both variance components change by less than this fraction. */
  readonly tolerance?: number;
  /**
   * A small ridge on every fixed effect but the first (the intercept), so that a covariate that
   * never varies, or duplicates another, leaves the equations solvable (its effect is then 0).
   */
  readonly fixedRidge?: number;
}

/**
 * Fits y = X·β + u[group] + ε with u ~ N(0, τ²) and ε ~ N(0, σ²) by Henderson's mixed-model
 * equations, re-estimating σ² and τ² by EM-REML until they settle:
 *
 *   [XᵀX  XᵀZ      ] [β]   [Xᵀy]
 *   [ZᵀX  ZᵀZ + αI ] [u] = [Zᵀy],   α = σ²/τ²
 *
 *   σ² ← (yᵀy − βᵀXᵀy − uᵀZᵀy) / (n − p)        τ² ← (uᵀu + σ²·tr C_uu) / q
 *
 * The penalty α·uᵀu is what shrinks a group with few observations towards the average: its
 * effect is its own evidence weighted by nₖ/(nₖ + α). `groups[i]` is the 0-based group of row i.
 *
 * @example
 * const fit = fitMixedLinear([3, 4, 5, 2], [[1], [1], [1], [1]], [0, 0, 1, 1], 2);
 * fit.beta[0]; // the overall mean; fit.u: each group's shrunk deviation from it
 */
export function fitMixedLinear(
  y: readonly number[],
  x: readonly (readonly number[])[],
  groups: readonly number[],
  q: number,
  options: MixedOptions = {},
): MixedFit {
  const n = y.length;
  const p = x[0]?.length ?? 0;
  if (n <= p) throw new Error(`a mixed model with ${p} fixed effects needs more than ${n} observations`);
  const m = p + q;
  // The cross-products do not change between iterations; only α on the diagonal does.
  const base = zeros(m, m);
  const rhs = new Array<number>(m).fill(0);
  let yy = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[i]!;
    const g = p + groups[i]!;
    const yi = y[i]!;
    yy += yi * yi;
    for (let j = 0; j < p; j++) {
      rhs[j]! += xi[j]! * yi;
      for (let k = 0; k < p; k++) base[j]![k]! += xi[j]! * xi[k]!;
      base[j]![g]! += xi[j]!;
      base[g]![j]! += xi[j]!;
    }
    base[g]![g]! += 1;
    rhs[g]! += yi;
  }
  for (let j = 1; j < p; j++) base[j]![j]! += options.fixedRidge ?? 0;
  let mean = 0;
  for (const v of y) mean += v / n;
  let variance = 0;
  for (const v of y) variance += (v - mean) ** 2 / (n - 1);
  const floor = Math.max(variance, 1e-12) * 1e-6;
  let sigma2 = Math.max(variance * 0.8, floor);
  let tau2 = Math.max(variance * 0.2, floor);
  let sol = new Array<number>(m).fill(0);
  let c = zeros(m, m);
  let converged = false;
  let iterations = 0;
  const maxIterations = options.maxIterations ?? 500;
  const tolerance = options.tolerance ?? 1e-7;
  for (; iterations < maxIterations; iterations++) {
    const lhs = base.map((row) => [...row]);
    const alpha = sigma2 / tau2;
    for (let g = p; g < m; g++) lhs[g]![g]! += alpha;
    c = invertSpd(lhs);
    sol = c.map((row) => dot(row, rhs));
    const u = sol.slice(p);
    let trace = 0;
    for (let g = p; g < m; g++) trace += c[g]![g]!;
    const nextSigma2 = Math.max((yy - dot(sol, rhs)) / (n - p), floor);
    const nextTau2 = Math.max((dot(u, u) + sigma2 * trace) / q, floor);
    const change = Math.max(Math.abs(nextSigma2 - sigma2) / sigma2, Math.abs(nextTau2 - tau2) / tau2);
    sigma2 = nextSigma2;
    tau2 = nextTau2;
    if (change < tolerance) {
      converged = true;
      iterations++;
      break;
    }
  }
  // Solutions and covariance at the final variance components.
  const lhs = base.map((row) => [...row]);
  for (let g = p; g < m; g++) lhs[g]![g]! += sigma2 / tau2;
  c = invertSpd(lhs);
  sol = c.map((row) => dot(row, rhs));
  return {
    beta: sol.slice(0, p),
    u: sol.slice(p),
    sigma2,
    tau2,
    cov: c.map((row) => row.map((v) => v * sigma2)),
    iterations,
    converged,
  };
}

// ---------------------------------------------------------------------------------------------
// Rank statistics

/** 1-based ranks, ties sharing their average rank. */
export function averageRanks(xs: readonly number[]): number[] {
  const order = xs.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const ranks = new Array<number>(xs.length).fill(0);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]![1]] = rank;
    i = j + 1;
  }
  return ranks;
}

export function pearson(a: readonly number[], b: readonly number[]): number {
  const n = a.length;
  const ma = a.reduce((s, v) => s + v, 0) / n;
  const mb = b.reduce((s, v) => s + v, 0) / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return saa === 0 || sbb === 0 ? Number.NaN : sab / Math.sqrt(saa * sbb);
}

/** Spearman's ρ: the Pearson correlation of average ranks (so ties are handled). NaN when a side is constant. */
export function spearman(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new Error('spearman needs two lists of the same length');
  if (a.length < 2) return Number.NaN;
  return pearson(averageRanks(a), averageRanks(b));
}

/**
 * Area under the ROC curve: the chance that a random positive scores above a random negative,
 * ties counting one half (the Mann–Whitney U over n₁·n₀). NaN without both classes.
 */
export function auc(scores: readonly number[], labels: readonly (boolean | number)[]): number {
  const ranks = averageRanks(scores);
  let n1 = 0;
  let rankSum = 0;
  for (let i = 0; i < scores.length; i++) {
    if (labels[i] === true || labels[i] === 1) {
      n1++;
      rankSum += ranks[i]!;
    }
  }
  const n0 = scores.length - n1;
  if (n1 === 0 || n0 === 0) return Number.NaN;
  return (rankSum - (n1 * (n1 + 1)) / 2) / (n1 * n0);
}

/** 1-based competition ranks where the highest value is rank 1; ties share the better rank. */
export function descendingRanks(xs: readonly number[]): number[] {
  return xs.map((v) => 1 + xs.filter((w) => w > v).length);
}

// ---------------------------------------------------------------------------------------------
// Effects learnt within groups, then group effects shrunk

export interface WithinFit {
  /** Covariate effects learnt only from differences within each group (fixed-effects estimator). */
  readonly beta: number[];
  /** Their covariance: s²·(X̃ᵀX̃)⁻¹, s² on n − groups − p degrees of freedom. */
  readonly betaCov: Matrix;
  /** The shrunk group model of y − X·β: intercept μ, group effects u, and as in MixedFit. */
  readonly groups: MixedFit;
  /** Each group's mean covariates, and its shrinkage weight nₖ/(nₖ + σ²/τ²). */
  readonly groupMeans: number[][];
  readonly shrink: number[];
}

/**
 * Fits y = μ + X·β + u[group] + ε in two stages, so that β cannot be bent by a correlation between
 * the covariates and the groups (the best agents taking the hardest calls):
 *
 * 1. β by the within (fixed-effects) estimator: y and every column of X are centred on their
 *    group's mean, and β is the least-squares fit of the centred y on the centred X. Only
 *    comparisons inside a group inform it, so whatever differs between groups (their skill) is
 *    out of it.
 * 2. The group effects by a random-intercept model (fitMixedLinear, EM-REML) of y − X·β, so each
 *    group's effect is shrunk towards the average by nₖ/(nₖ + σ²/τ²).
 *
 * X holds covariates only (no intercept column). A covariate that never varies inside a group
 * gets effect 0 through the tiny ridge.
 *
 * @example
 * const fit = fitWithinShrunk([4, 3, 5, 4], [[0], [1], [0], [1]], [0, 0, 1, 1], 2);
 * fit.beta[0]; // -1: the cost of the covariate, inside each group
 */
export function fitWithinShrunk(
  y: readonly number[],
  x: readonly (readonly number[])[],
  groups: readonly number[],
  q: number,
  options: MixedOptions = {},
): WithinFit {
  const n = y.length;
  const p = x[0]?.length ?? 0;
  const counts = new Array<number>(q).fill(0);
  const ySum = new Array<number>(q).fill(0);
  const xSum = zeros(q, p);
  for (let i = 0; i < n; i++) {
    const g = groups[i]!;
    counts[g]!++;
    ySum[g]! += y[i]!;
    for (let j = 0; j < p; j++) xSum[g]![j]! += x[i]![j]!;
  }
  const groupMeans = xSum.map((row, g) => row.map((v) => (counts[g]! > 0 ? v / counts[g]! : 0)));
  const a = zeros(p, p);
  const b = new Array<number>(p).fill(0);
  const xc = x.map((row, i) => row.map((v, j) => v - groupMeans[groups[i]!]![j]!));
  const yc = y.map((v, i) => v - ySum[groups[i]!]! / counts[groups[i]!]!);
  for (let i = 0; i < n; i++) {
    const r = xc[i]!;
    for (let j = 0; j < p; j++) {
      b[j]! += r[j]! * yc[i]!;
      for (let k = 0; k < p; k++) a[j]![k]! += r[j]! * r[k]!;
    }
  }
  for (let j = 0; j < p; j++) a[j]![j]! += options.fixedRidge ?? 0;
  const inv = p === 0 ? [] : invertSpd(a);
  const beta = inv.map((row) => dot(row, b));
  let rss = 0;
  for (let i = 0; i < n; i++) rss += (yc[i]! - dot(xc[i]!, beta)) ** 2;
  const used = counts.filter((c) => c > 0).length;
  const s2 = rss / Math.max(n - used - p, 1);
  const betaCov = inv.map((row) => row.map((v) => v * s2));
  const residual = y.map((v, i) => v - dot(x[i]!, beta));
  const fit = fitMixedLinear(residual, residual.map(() => [1]), groups, q, options);
  const alpha = fit.sigma2 / fit.tau2;
  return { beta, betaCov, groups: fit, groupMeans, shrink: counts.map((c) => c / (c + alpha)) };
}
