#!/usr/bin/python3
"""Reference values for src/stats, from Debian's python3-scipy / python3-numpy.

Run with the system Python (apt-get install -y python3-scipy python3-numpy):

    /usr/bin/python3 scripts/reference/generate.py

It writes test/stats/reference/*.json, which the tests in test/stats compare against.
Every closed form our TypeScript uses is checked here against an independent route where one
exists (numerical integration, scipy's own tests, a root finder of its own), not only against
the same formula. scipy is never a runtime dependency of model-gate.
"""
import json
import math
import os

import numpy as np
from scipy import integrate, optimize, special, stats
from scipy.spatial import distance

OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'stats', 'reference')
rng = np.random.RandomState(20261128)


def write(name, data):
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, name + '.json'), 'w') as f:
        json.dump({'generator': 'scripts/reference/generate.py', 'scipy': __import__('scipy').__version__,
                   'numpy': np.__version__, **data}, f, indent=1)
        f.write('\n')


def special_functions():
    xs = [1e-3, 0.1, 0.5, 1, 1.5, 2.5, 7, 9.99, 10, 12.5, 100, 1234.5, 1e5, 3.7e6]
    gammaln = [[x, float(special.gammaln(x))] for x in xs]
    beta_args = [
        (0.3, 2, 3), (0.01, 0.5, 0.5), (0.99, 5, 1.5), (0.011, 3.0, 270.0), (0.02, 35, 1800),
        (0.0102, 190, 17000), (0.5, 1000, 1000), (0.25, 40, 100), (0.26, 2.5, 6.8), (1e-4, 2, 9000),
        (0.3, 1e4, 2.3e4), (0.9, 0.1, 0.1),
    ]
    betainc = [[x, a, b, float(special.betainc(a, b, x)),
                float(stats.beta.logcdf(x, a, b)), float(stats.beta.logsf(x, a, b))] for x, a, b in beta_args]
    gamma_args = [(0.5, 0.1), (0.5, 3), (2, 1.5), (10, 12), (0.5, 50), (100, 90), (3.5, 0.01)]
    gammainc = [[a, x, float(special.gammainc(a, x)), float(special.gammaincc(a, x))] for a, x in gamma_args]
    zs = [-38, -12, -6, -3, -1.96, -0.5, 0, 0.3, 1.2816, 2.5, 5, 9]
    ndtr = [[z, float(special.ndtr(z)), float(special.log_ndtr(z))] for z in zs]
    ps = [1e-300, 1e-20, 1e-8, 0.001, 0.02, 0.024, 0.025, 0.2, 0.5, 0.8, 0.975, 0.98, 0.999, 1 - 1e-12]
    ndtri = [[p, float(special.ndtri(p))] for p in ps]
    # Binomial tails through the incomplete beta: P(X <= k) = I_{1-p}(n - k, k + 1).
    binom = [[n, k, p, float(stats.binom.cdf(k, n, p))]
             for n, k, p in [(10, 3, 0.2), (100, 5, 0.01), (1000, 30, 0.02), (5000, 70, 0.011), (40, 39, 0.9)]]
    write('special', {'gammaln': gammaln, 'betainc': betainc, 'gammainc': gammainc, 'ndtr': ndtr,
                      'ndtri': ndtri, 'binomCdf': binom})


def log_mixture_quad(x, y, a, b, p0, side):
    """log of the (optionally truncated) Beta-binomial mixture ratio by numerical integration."""
    lo, hi = {'full': (0, 1), 'above': (p0, 1), 'below': (0, p0)}[side]
    # Integrate the likelihood ratio against the Beta density, scaled at its peak for stability.
    def log_f(p):
        return (x * math.log(p) + y * math.log1p(-p) - x * math.log(p0) - y * math.log1p(-p0)
                + stats.beta.logpdf(p, a, b))
    mode = min(max((x + a - 1) / (x + y + a + b - 2), lo + 1e-12), hi - 1e-12) if x + y + a + b > 2 else (lo + hi) / 2
    peak = log_f(mode)
    val, _ = integrate.quad(lambda p: math.exp(log_f(p) - peak), lo, hi, points=[mode], limit=500,
                            epsabs=0, epsrel=1e-11)
    mass = 1.0 if side == 'full' else (stats.beta.sf(p0, a, b) if side == 'above' else stats.beta.cdf(p0, a, b))
    return peak + math.log(val) - math.log(mass)


def beta_binomial():
    cases = []
    for (x, y, a, b, p0) in [(3, 90, 1.0, 90.0, 0.011), (12, 400, 1.0, 90.0, 0.011), (0, 50, 2, 30, 0.05),
                              (40, 100, 2.5, 6.8, 0.268), (5, 600, 1.0, 90.0, 0.011), (30, 1000, 1.0, 90.0, 0.011),
                              (200, 200, 3, 3, 0.5)]:
        row = {'x': x, 'y': y, 'a': a, 'b': b, 'p0': p0}
        for side in ('full', 'above', 'below'):
            row[side] = log_mixture_quad(x, y, a, b, p0, side)
        # Closed form with scipy's special functions, for the large cases quad cannot reach.
        row['fullClosed'] = float(special.betaln(a + x, b + y) - special.betaln(a, b)
                                  - x * math.log(p0) - y * math.log1p(-p0))
        cases.append(row)
    big = []
    for (x, y, a, b, p0) in [(60, 3000, 1.0, 90.0, 0.011), (700, 70000, 1.0, 90.0, 0.011), (2500, 6000, 2.5, 6.8, 0.268)]:
        full = float(special.betaln(a + x, b + y) - special.betaln(a, b) - x * math.log(p0) - y * math.log1p(-p0))
        above = full + float(stats.beta.logsf(p0, a + x, b + y) - stats.beta.logsf(p0, a, b))
        below = full + float(stats.beta.logcdf(p0, a + x, b + y) - stats.beta.logcdf(p0, a, b))
        big.append({'x': x, 'y': y, 'a': a, 'b': b, 'p0': p0, 'full': full, 'above': above, 'below': below})

    # One-sided bounds: the largest p0 the 'above' e-value rejects, the smallest the 'below' one does.
    def bounds(x, y, a, b, alpha):
        t = math.log(1 / alpha)
        def above(p):
            return (special.betaln(a + x, b + y) - special.betaln(a, b) - x * math.log(p) - y * math.log1p(-p)
                    + stats.beta.logsf(p, a + x, b + y) - stats.beta.logsf(p, a, b)) - t
        def below(p):
            return (special.betaln(a + x, b + y) - special.betaln(a, b) - x * math.log(p) - y * math.log1p(-p)
                    + stats.beta.logcdf(p, a + x, b + y) - stats.beta.logcdf(p, a, b)) - t
        phat = (x + a) / (x + y + a + b)
        lo = optimize.brentq(above, 1e-9, phat, xtol=1e-14, rtol=1e-12) if above(1e-9) > 0 else 0.0
        hi = optimize.brentq(below, phat, 1 - 1e-9, xtol=1e-14, rtol=1e-12) if below(1 - 1e-9) > 0 else 1.0
        return [lo, hi]
    intervals = [{'x': x, 'y': y, 'a': a, 'b': b, 'alpha': al, 'bounds': bounds(x, y, a, b, al)}
                 for (x, y, a, b, al) in [(12, 400, 1.0, 90.0, 0.05), (60, 3000, 1.0, 90.0, 0.05),
                                          (40, 100, 2.5, 6.8, 0.01), (3, 1000, 1.0, 90.0, 0.05)]]
    write('beta-binomial', {'cases': cases, 'big': big, 'intervals': intervals})


def srm():
    cases = []
    for observed, expected, kappa in [([90, 910], [0.1, 0.9], 900.0), ([1200, 8800], [0.1, 0.9], 900.0),
                                      ([5, 495], [0.01, 0.99], 9900.0), ([300, 330, 370], [1 / 3, 1 / 3, 1 / 3], 200.0),
                                      ([2250, 7750], [0.25, 0.75], 300.0)]:
        n = sum(observed)
        e = special.gammaln(kappa) - special.gammaln(kappa + n)
        for x, th in zip(observed, expected):
            e += special.gammaln(kappa * th + x) - special.gammaln(kappa * th) - x * math.log(th)
        # Cross-check against the multinomial likelihood ratio written with scipy's pmfs.
        log_dm = (special.gammaln(n + 1) + special.gammaln(kappa) - special.gammaln(n + kappa)
                  + sum(special.gammaln(x + kappa * th) - special.gammaln(kappa * th) - special.gammaln(x + 1)
                        for x, th in zip(observed, expected)))
        log_mn = stats.multinomial.logpmf(observed, n, expected)
        assert abs((log_dm - log_mn) - e) < 1e-8
        cases.append({'observed': observed, 'expected': expected, 'kappa': kappa, 'logE': float(e)})
    write('srm', {'cases': cases})


def normal_mixture():
    cases = []
    for diff, var, tau in [(-0.004, 4e-6, 0.005), (0.001, 1e-6, 0.002), (-0.01, 2.5e-5, 0.003), (0.0, 1e-6, 0.01),
                           (0.02, 1e-4, 0.01)]:
        def lr(mu):
            return math.exp((mu * diff - mu * mu / 2) / var)
        two, _ = integrate.quad(lambda m: lr(m) * stats.norm.pdf(m, 0, tau), -12 * tau, 12 * tau, limit=400)
        less, _ = integrate.quad(lambda m: lr(m) * 2 * stats.norm.pdf(m, 0, tau), -12 * tau, 0, limit=400)
        greater, _ = integrate.quad(lambda m: lr(m) * 2 * stats.norm.pdf(m, 0, tau), 0, 12 * tau, limit=400)
        cases.append({'diff': diff, 'variance': var, 'tau': tau, 'two': math.log(two), 'less': math.log(less),
                      'greater': math.log(greater)})
    write('normal-mixture', {'cases': cases, 'liftBounds': lift_bounds(), 'nullVariance': null_variances()})


def log_mixture_normal_quad(diff, var, tau, side):
    """log of the one-sided normal mixture ratio (side 'less' or 'greater') by numerical integration."""
    lo, hi = (-12 * tau, 0.0) if side == 'less' else (0.0, 12 * tau)
    def log_f(mu):
        return (mu * diff - mu * mu / 2) / var + math.log(2) + stats.norm.logpdf(mu, 0, tau)
    # The integrand's peak on the half-line, to scale it (the likelihood ratio alone can overflow).
    mode = min(max(diff * tau * tau / (var + tau * tau), lo), hi)
    peak = log_f(mode)
    val, _ = integrate.quad(lambda mu: math.exp(log_f(mu) - peak), lo, hi, points=[mode], limit=500,
                            epsabs=0, epsrel=1e-12)
    return peak + math.log(val)


def restricted_rates(xc, nc, xb, nb, f):
    """Farrington & Manning (1990): the maximum-likelihood (pc, pb) under pc = f pb, found by
    brentq on the score of the restricted log-likelihood (not the quadratic the TypeScript solves;
    that closed form is checked against it here)."""
    hi = min(1.0, 1.0 / f)

    def score(p):
        return (xc + xb) / p - (nc - xc) * f / (1 - f * p) - (nb - xb) / (1 - p)
    lo_p, hi_p = hi * 1e-15, hi * (1 - 1e-15)
    if xc + xb == 0:
        pb = 0.0
    elif score(hi_p) > 0:
        pb = hi  # the likelihood rises to the boundary (every candidate request converted)
    else:
        pb = optimize.brentq(score, lo_p, hi_p, xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=500)
    a, b, c = (nc + nb) * f, nc * f + xc + nb + xb * f, xc + xb
    closed = (b - math.sqrt(b * b - 4 * a * c)) / (2 * a)
    assert abs(closed - pb) <= 1e-9 * max(pb, 1e-300), (closed, pb)
    return f * pb, pb


def null_variance(xc, nc, xb, nb, f):
    """The variance of pc - f pb the conversion judge's test of pc = f pb uses: pooled at f = 1, at
    the restricted rates otherwise (0 at f = 0, where the null puts the candidate at 0); for f < 0
    (no rates satisfy the null) the observed rates' (unpooled), and where that is 0 the pooled one."""
    pooled = (xc + xb) / (nc + nb)
    pooled_var = pooled * (1 - pooled) * (1 / nc + f * f / nb)
    if f == 1:
        return pooled_var

    def spread(pc, pb):
        return pc * (1 - pc) / nc + f * f * pb * (1 - pb) / nb
    if f == 0:
        return 0.0
    if f > 0:
        return spread(*restricted_rates(xc, nc, xb, nb, f))
    unpooled = spread(xc / nc, xb / nb)
    return unpooled if unpooled > 0 else pooled_var


def null_variances():
    """Restricted rates and variances at a margin (f != 1), including the lopsided splits with a high
    baseline rate where the pooled variance understated the candidate's (0.09 against 0.2475 for a
    candidate at 45% against 90%)."""
    cases = []
    for xc, nc, xb, nb, f in [(250, 500, 4050, 4500, 0.5), (847, 1000, 8100, 9000, 0.9), (100, 2000, 100, 2000, 0.9),
                              (2216, 19190, 222, 2446, 1.05), (5, 200, 500, 10000, 1.3), (3525, 32427, 288, 2020, 0.9),
                              (0, 100, 100, 100, 0.7), (45, 50, 855, 950, 0.7), (8, 500, 500, 49500, 2.0)]:
        pc, pb = restricted_rates(xc, nc, xb, nb, f)
        cases.append({'canary': [xc, nc], 'baseline': [xb, nb], 'factor': f, 'rates': [pc, pb],
                      'variance': null_variance(xc, nc, xb, nb, f)})
    return cases


def lift_bounds():
    """The conversion judge's interval on the lift r = pc/pb - 1: the lifts its one-sided tests of
    pc = (1 + r) pb do not reject (null_variance: pooled at r = 0, Farrington-Manning otherwise;
    tau = 0.1 pb, each side at alpha, or alpha/2 for 'either'). Roots found by a grid scan for the
    first sign change and brentq; a side whose test never rejects is None (checked by maximizing
    the e-value over the whole half-line)."""
    cases = []
    for xc, nc, xb, nb, direction, margin, alpha in [
            (4500, 100000, 15000, 300000, 'decrease', 0.0, 0.05),
            (10100, 200000, 30000, 600000, 'either', 0.05, 0.05),
            (3525, 32427, 288, 2020, 'decrease', 0.1, 0.05),
            (162, 544, 8323, 35417, 'either', 0.02, 0.05),
            (2216, 19190, 222, 2446, 'increase', 0.05, 0.05),
            (918, 3000, 900, 3000, 'decrease', 0.1, 0.025),
            (100, 2000, 100, 2000, 'decrease', 0.1, 0.05),
            (5, 200, 500, 10000, 'decrease', 0.0, 0.05),
            (847, 1000, 8100, 9000, 'decrease', 0.1, 0.05),
            (12, 400, 10, 300, 'decrease', 0.0, 0.05)]:
        pc, pb = xc / nc, xb / nb
        tau = 0.1 * pb
        need = math.log(1 / alpha) + (math.log(2) if direction == 'either' else 0.0)
        rhat = pc / pb - 1

        def excess(r, side):
            f = 1 + r
            var = null_variance(xc, nc, xb, nb, f)
            d = pc - f * pb
            if var == 0:  # the null fixes the difference at 0: any on the tested side refutes it
                return math.inf if (d < 0 if side == 'less' else d > 0) else -math.inf
            return log_mixture_normal_quad(pc - f * pb, var, tau, side) - need

        def first_root(side, start, end, grid=None):
            grid = np.linspace(start, end, 801) if grid is None else grid
            prev = grid[0]
            for r in grid[1:]:
                if excess(r, side) >= 0:
                    return optimize.brentq(lambda x: excess(x, side), prev, r, xtol=1e-14, rtol=1e-13)
                prev = r
            return None

        # To just above -100%: at -100% itself (f = 0) the test is certain, which brentq cannot bracket.
        lower = first_root('greater', rhat, -1.0 + 1e-9)
        if lower is None:
            lower = -1.0  # a lift below -100% is impossible: the lower search stops there
        upper = first_root('less', rhat, rhat + 10.0)
        if upper is None:
            # The restricted variance grows like f, not f^2, far above: a far lift can be rejected after all.
            upper = first_root('less', None, None, rhat + np.geomspace(10.0, 1e6, 400))
        if upper is None:
            best = optimize.minimize_scalar(lambda r: -excess(r, 'less'), bounds=(rhat, rhat + 1e4),
                                            method='bounded')
            assert -best.fun < 0 and excess(rhat + 1e4, 'less') < 0
        cases.append({'canary': [xc, nc], 'baseline': [xb, nb], 'direction': direction, 'margin': margin,
                      'alpha': alpha, 'bounds': [lower, upper]})
    return cases


def r_wilcox_ci(x, y, conf):
    """R's wilcox.test(x, y, conf.int=TRUE, exact=FALSE, correct=TRUE) shift and interval, via brentq."""
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    nx, ny = len(x), len(y)

    def wdiff(d, zq):
        dr = stats.rankdata(np.concatenate([x - d, y]))
        _, counts = np.unique(dr, return_counts=True)
        dz = dr[:nx].sum() - nx * (nx + 1) / 2 - nx * ny / 2
        corr = np.sign(dz) * 0.5
        sigma = math.sqrt((nx * ny / 12) * ((nx + ny + 1) - np.sum(counts ** 3 - counts) / ((nx + ny) * (nx + ny - 1))))
        return (dz - corr) / sigma - zq

    mumin, mumax = x.min() - y.max(), x.max() - y.min()

    def root(zq):
        f = lambda d: wdiff(d, zq)
        if f(mumin) <= 0:
            return mumin
        if f(mumax) >= 0:
            return mumax
        # Bisection to the step (the statistic is a step function of d).
        lo, hi = mumin, mumax
        for _ in range(200):
            mid = (lo + hi) / 2
            if f(mid) > 0:
                lo = mid
            else:
                hi = mid
        return (lo + hi) / 2

    zq = stats.norm.ppf(1 - (1 - conf) / 2)
    return root(0.0), [root(zq), root(-zq)]


def mann_whitney():
    cases = []
    samples = [
        (rng.normal(0, 1, 12), rng.normal(0.8, 1, 15)),
        (rng.lognormal(3, 0.4, 30), rng.lognormal(3.1, 0.4, 40)),
        (np.round(rng.normal(10, 2, 25)), np.round(rng.normal(11, 2, 20))),  # ties
        (np.array([0, 0, 0, 1 / 60, 1 / 60, 2 / 60, 0, 1 / 60, 0, 0]), rng.normal(0.01, 0.0013, 10)),
        (rng.exponential(1, 60), rng.exponential(1.3, 60)),
    ]
    for x, y in samples:
        row = {'x': x.tolist(), 'y': y.tolist()}
        for alt in ('two-sided', 'less', 'greater'):
            r = stats.mannwhitneyu(x, y, alternative=alt, method='asymptotic', use_continuity=True)
            row[alt] = {'u': float(stats.mannwhitneyu(x, y, method='asymptotic').statistic), 'p': float(r.pvalue)}
        est, ci = r_wilcox_ci(x, y, 0.98)
        row['hl'] = {'confidence': 0.98, 'estimate': est, 'interval': ci,
                     'exactMedian': float(np.median(np.subtract.outer(x, y)))}
        cases.append(row)
    write('mann-whitney', {'cases': cases})


def drift():
    cases = []
    for a, b in [(rng.normal(0, 1, 200), rng.normal(0.3, 1, 150)), (rng.exponential(1, 80), rng.exponential(1, 120)),
                 (np.round(rng.normal(5, 1, 100)), np.round(rng.normal(5.5, 1, 100)))]:
        cases.append({'a': a.tolist(), 'b': b.tolist(), 'ks': float(stats.ks_2samp(a, b).statistic),
                      'wasserstein': float(stats.wasserstein_distance(a, b))})
    hist = []
    for p, q in [([10, 20, 30, 40], [12, 18, 35, 35]), ([5, 0, 5, 90], [1, 4, 10, 85]), ([1, 1, 1, 1], [1, 1, 1, 1])]:
        pn = np.asarray(p, float) / sum(p)
        qn = np.asarray(q, float) / sum(q)
        floor = 1e-4
        pf, qf = np.maximum(pn, floor), np.maximum(qn, floor)
        values = [1.0, 2.0, 4.0, 8.0]
        hist.append({'expected': p, 'actual': q, 'js': float(distance.jensenshannon(p, q, base=2)),
                     'psi': float(np.sum((qf - pf) * np.log(qf / pf))),
                     'values': values, 'wasserstein': float(stats.wasserstein_distance(values, values, q, p))})
    dkw = [[n, a, float(0.85 * math.sqrt((math.log(math.log(math.e * n)) + 0.8 * math.log(1612 / a)) / n))]
           for n, a in [(1, 0.05), (10, 0.05), (1000, 0.025), (123456, 0.01)]]
    write('drift', {'samples': cases, 'histograms': hist, 'dkw': dkw, 'bucketWasserstein': bucket_wasserstein()})


def bucket_wasserstein():
    """Wasserstein-1 between two Prometheus histograms (finite bounds, counts per bucket, +Inf last),
    each bucket's mass spread evenly over it: the first bucket from 0 when its bound is positive (a
    point at its bound otherwise, as histogram_quantile reads it); the +Inf bucket, and a first
    bucket below 0, counted at their finite bound, so the value is a lower bound ('atLeast') when
    either arm has mass there. By numerical integration of |F_a - F_b| over the interpolated CDFs,
    checked against scipy.stats.wasserstein_distance on 4000 evenly spread points per bucket."""
    out = []
    for bounds, expected, actual in [
            ([0.5, 1], [0, 1000, 0], [0, 0, 1000]),  # a window wholly above the top finite bound
            ([0.25, 0.5, 0.75], [250, 250, 250, 250], [100, 200, 300, 400]),
            ([0.25, 0.5, 0.75, 1], [250, 250, 250, 250, 0], [100, 200, 300, 400, 0]),
            ([1, 2, 3], [5, 0, 5, 0], [0, 10, 0, 0]),  # the CDFs cross inside a bucket
            ([1, 3], [10, 0, 0], [0, 10, 0]),  # unequal widths
            ([-1, 0, 1], [50, 50, 0, 0], [0, 50, 50, 0]),  # values at or below a negative first bound
            ([0, 0.5, 1], [100, 300, 600, 0], [0, 500, 500, 0]),  # a first bound at 0: a point there
            ([0.1, 0.2, 0.5, 0.9, 1.0], [30, 120, 400, 300, 150, 0], [10, 60, 300, 420, 200, 10])]:
        b = np.asarray(bounds, float)
        point_first = b[0] <= 0
        xs = b if point_first else np.concatenate([[0.0], b])

        def cdf(counts):
            c = np.cumsum(counts)[:len(b)] / sum(counts)
            return c if point_first else np.concatenate([[0.0], c])
        fa, fe = cdf(actual), cdf(expected)
        val, _ = integrate.quad(lambda x: abs(np.interp(x, xs, fa) - np.interp(x, xs, fe)), xs[0], xs[-1],
                                points=xs[1:-1], limit=500, epsabs=1e-14, epsrel=1e-13)

        def spread(counts, m=4000):
            values, weights = [], []
            for i, c in enumerate(counts):
                if i == len(b) or (i == 0 and point_first):  # +Inf, or the first bucket as a point
                    values.append(b[-1] if i == len(b) else b[0])
                    weights.append(c)
                    continue
                lo, hi = (0.0 if i == 0 else b[i - 1]), b[i]
                values.extend(lo + (np.arange(m) + 0.5) / m * (hi - lo))
                weights.extend([c / m] * m)
            return values, weights
        (va, wa), (ve, we) = spread(actual), spread(expected)
        assert abs(stats.wasserstein_distance(va, ve, wa, we) - val) < 1e-3, (bounds, val)
        above = actual[-1] > 0 or expected[-1] > 0
        below = b[0] < 0 and (actual[0] > 0 or expected[0] > 0)
        out.append({'bounds': bounds, 'expected': expected, 'actual': actual, 'wasserstein': val,
                    'atLeast': bool(above or below)})
    return out


def fixed_horizon():
    def n_needed(pb, pc, margin, alpha, power, ratio, sided):
        factor = 1 + margin if pc >= pb else 1 - margin
        za = stats.norm.isf(alpha / sided)
        zb = stats.norm.ppf(power)
        return math.ceil((za + zb) ** 2 * (pc * (1 - pc) + factor ** 2 * pb * (1 - pb) / ratio) / (pc - factor * pb) ** 2)
    sizes = [{'baseline': pb, 'candidate': pc, 'margin': m, 'alpha': a, 'power': pw, 'ratio': r, 'sided': s,
              'n': n_needed(pb, pc, m, a, pw, r, s)}
             for pb, pc, m, a, pw, r, s in [(0.01, 0.02, 0.1, 0.05, 0.8, 99, 1), (0.01, 0.02, 0.0, 0.05, 0.8, 3, 1),
                                            (0.1, 0.09, 0.0, 0.05, 0.8, 19, 1), (0.05, 0.045, 0.02, 0.05, 0.9, 3, 2)]]
    tests = []
    for (xc, nc, xb, nb, f) in [(25, 1000, 1000, 99000, 1.1), (8, 500, 500, 49500, 1.0), (90, 1000, 1000, 9000, 1.0)]:
        pc, pb = xc / nc, xb / nb
        z = (pc - f * pb) / math.sqrt(pc * (1 - pc) / nc + f * f * pb * (1 - pb) / nb)
        tests.append({'canary': [xc, nc], 'baseline': [xb, nb], 'factor': f, 'z': z, 'pIncrease': float(stats.norm.sf(z)),
                      'pDecrease': float(stats.norm.cdf(z))})
    def n_non_inferior(pb, margin, regression, alpha, power, ratio, sided):
        factor = 1 + margin if regression == 'increase' else 1 - margin
        za = stats.norm.isf(alpha / sided)
        zb = stats.norm.ppf(power)
        return math.ceil((za + zb) ** 2 * (pb * (1 - pb) + factor ** 2 * pb * (1 - pb) / ratio) / (pb - factor * pb) ** 2)
    non_inferiority = [{'baseline': pb, 'margin': m, 'regression': g, 'alpha': a, 'power': pw, 'ratio': r, 'sided': s,
                        'n': n_non_inferior(pb, m, g, a, pw, r, s)}
                       for pb, m, g, a, pw, r, s in [(0.05, 0.1, 'decrease', 0.05, 0.8, 1, 1),
                                                     (0.05, 0.02, 'decrease', 0.05, 0.9, 3, 1),
                                                     (0.2, 0.05, 'increase', 0.01, 0.8, 19, 2)]]
    write('fixed-horizon', {'sizes': sizes, 'nonInferiority': non_inferiority, 'tests': tests})


if __name__ == '__main__':
    special_functions()
    beta_binomial()
    srm()
    normal_mixture()
    mann_whitney()
    drift()
    fixed_horizon()
    print('wrote', sorted(os.listdir(OUT)))
