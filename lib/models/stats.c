/* stats.c - z-test, p-chart, quantiles, absorbing Markov chains. */
#include "stats.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

bool sop_ztest2(double x1, double n1, double x2, double n2, double *z, double *p)
{
    *z = 0;
    *p = 1;
    if (!(n1 > 0) || !(n2 > 0))
        return false;
    double pool = (x1 + x2) / (n1 + n2);
    if (!(pool > 0) || !(pool < 1))
        return false;
    double se = sqrt(pool * (1 - pool) * (1 / n1 + 1 / n2));
    *z = (x1 / n1 - x2 / n2) / se;
    *p = erfc(fabs(*z) / sqrt(2.0));
    return true;
}

void sop_pchart_limits(double pbar, double n, double sigmas, double *lower, double *upper)
{
    double half = n > 0 ? sigmas * sqrt(pbar * (1 - pbar) / n) : 1;
    *lower = pbar - half < 0 ? 0 : pbar - half;
    *upper = pbar + half > 1 ? 1 : pbar + half;
}

/* The k-th smallest of v[0..n-1] (0-based), v reordered so that every
 * element after k is at least it: Hoare's selection, median-of-three
 * pivots, linear on average (a full sort of a million durations showed in
 * profiles). */
static double select_kth(double *v, size_t n, size_t k)
{
    ptrdiff_t lo = 0, hi = (ptrdiff_t)n - 1, want = (ptrdiff_t)k;
    while (lo < hi) {
        ptrdiff_t mid = lo + (hi - lo) / 2;
        double a = v[lo], b = v[mid], c = v[hi];
        double pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
        ptrdiff_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                double t = v[i];
                v[i++] = v[j];
                v[j--] = t;
            }
        }
        if (want <= j)
            hi = j;
        else if (want >= i)
            lo = i;
        else
            break; /* between j and i: equal to the pivot */
    }
    return v[k];
}

double sop_quantile(double *v, size_t n, double q)
{
    double h = (double)(n - 1) * q;
    size_t lo = (size_t)floor(h);
    double a = select_kth(v, n, lo);
    if (lo + 1 >= n)
        return a;
    double b = v[lo + 1];
    for (size_t i = lo + 2; i < n; i++)
        if (v[i] < b)
            b = v[i];
    return a + (h - (double)lo) * (b - a);
}

double sop_normal_quantile(double p)
{
    double lo = -40, hi = 40;
    for (int i = 0; i < 200 && hi - lo > 1e-12; i++) {
        double mid = (lo + hi) / 2;
        if (0.5 * erfc(-mid / sqrt(2.0)) < p)
            lo = mid;
        else
            hi = mid;
    }
    return (lo + hi) / 2;
}

double sop_pearson(const double *a, const double *b, size_t n)
{
    double ma = 0, mb = 0, sab = 0, saa = 0, sbb = 0;
    for (size_t i = 0; i < n; i++) {
        ma += a[i];
        mb += b[i];
    }
    ma /= (double)n;
    mb /= (double)n;
    for (size_t i = 0; i < n; i++) {
        sab += (a[i] - ma) * (b[i] - mb);
        saa += (a[i] - ma) * (a[i] - ma);
        sbb += (b[i] - mb) * (b[i] - mb);
    }
    return n >= 2 && saa > 0 && sbb > 0 ? sab / sqrt(saa * sbb) : NAN;
}

double sop_ewma_ucl(double mu, double sigma, double lambda, double sigmas, double t)
{
    return mu + sigmas * sigma * sqrt(lambda / (2 - lambda) * (1 - pow(1 - lambda, 2 * t)));
}

/* Solves a x = b for the n x n matrix a (row-major, destroyed); false when
 * singular. */
static bool solve(double *a, double *b, size_t n)
{
    for (size_t c = 0; c < n; c++) {
        size_t best = c;
        for (size_t r = c + 1; r < n; r++)
            if (fabs(a[r * n + c]) > fabs(a[best * n + c]))
                best = r;
        if (fabs(a[best * n + c]) < 1e-300)
            return false;
        if (best != c) {
            for (size_t k = 0; k < n; k++) {
                double t = a[c * n + k];
                a[c * n + k] = a[best * n + k];
                a[best * n + k] = t;
            }
            double t = b[c];
            b[c] = b[best];
            b[best] = t;
        }
        for (size_t r = c + 1; r < n; r++) {
            double f = a[r * n + c] / a[c * n + c];
            if (f == 0)
                continue;
            for (size_t k = c; k < n; k++)
                a[r * n + k] -= f * a[c * n + k];
            b[r] -= f * b[c];
        }
    }
    for (size_t c = n; c-- > 0;) {
        double s = b[c];
        for (size_t k = c + 1; k < n; k++)
            s -= a[c * n + k] * b[k];
        b[c] = s / a[c * n + c];
    }
    return true;
}

/* The conversion probability from the start with state `removed` (or m:
 * none) turned into null. */
static double conversion(size_t m, const double *start, const double *trans, const double *conv,
                         const double *out_total, double start_total, size_t removed,
                         double *a, double *b, size_t *index)
{
    size_t n = 0;
    for (size_t i = 0; i < m; i++)
        index[i] = i == removed ? (size_t)-1 : n++;
    memset(a, 0, n * n * sizeof *a);
    for (size_t i = 0; i < m; i++) {
        if (i == removed)
            continue;
        size_t r = index[i];
        a[r * n + r] = 1;
        b[r] = out_total[i] > 0 ? conv[i] / out_total[i] : 0;
        for (size_t j = 0; j < m; j++)
            if (j != removed && trans[i * m + j] != 0)
                a[r * n + index[j]] -= trans[i * m + j] / out_total[i];
    }
    if (n > 0 && !solve(a, b, n))
        return 0;
    double p = 0;
    for (size_t i = 0; i < m; i++)
        if (i != removed && start_total > 0)
            p += start[i] / start_total * b[index[i]];
    return p;
}

double sop_markov_removal(size_t m, const double *start, const double *trans,
                          const double *conv, const double *null, double *removal)
{
    if (m == 0 || m > 512)
        return -1;
    double *a = malloc(m * m * sizeof *a), *b = malloc(m * sizeof *b);
    double *out_total = malloc(m * sizeof *out_total);
    size_t *index = malloc(m * sizeof *index);
    double p = -1;
    if (a && b && out_total && index) {
        double start_total = 0;
        for (size_t i = 0; i < m; i++) {
            start_total += start[i];
            out_total[i] = conv[i] + null[i];
            for (size_t j = 0; j < m; j++)
                out_total[i] += trans[i * m + j];
        }
        p = conversion(m, start, trans, conv, out_total, start_total, m, a, b, index);
        p = p < 1e-12 ? 0 : p > 1 ? 1 : p;
        for (size_t c = 0; c < m; c++) {
            double without = conversion(m, start, trans, conv, out_total, start_total, c, a, b,
                                        index);
            /* elimination leaves rounding noise around 0 and 1 */
            removal[c] = p > 1e-12 ? 1 - without / p : 0;
            removal[c] = removal[c] < 1e-12 ? 0 : removal[c] > 1 ? 1 : removal[c];
        }
    }
    free(a);
    free(b);
    free(out_total);
    free(index);
    return p;
}
