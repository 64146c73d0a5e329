/* Batch norm (training mode) fused with ReLU / LeakyReLU, fp32, on the rows of a channels_last map.
 *
 * x is (M, C): M = batch * height * width rows of C contiguous channels (a channels_last (B, C, H, W) tensor).
 * y = act(gamma * (x - mean) * invstd + beta), act(v) = v > 0 ? v : slope * v (slope 0: ReLU), with the batch's
 * mean and biased variance per channel (Ioffe & Szegedy 2015, Alg. 1), as torch's batch_norm + activation.
 *
 * Forward: one pass for the statistics, one for the output. Backward: one pass for the two channel sums, one
 * for the input gradient; the activation's mask is recomputed from x, so only x is kept between the two.
 * torch's kernels take three passes forward (statistics, normalise, activate) and five backward.
 *
 * Sums are taken over blocks of BLOCK rows in float, then added into double; the statistics are shifted by
 * the first row's values, so a channel with a large mean keeps its variance's precision. Threads split the
 * rows (OpenMP, `threads` of them); each sums into its own buffers (allocated by the thread: threads writing
 * one cache line would pass it back and forth on every row), reduced in thread order, so a result depends on
 * the thread count but not on scheduling. Functions return 0, or -1 when out of memory.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <omp.h>

#define BLOCK 64

/* The two per-channel sums of a pass over the rows, into sums (2C doubles): sums[c] of a(r, c), sums[C + c] of
 * b(r, c), with
 *   forward (backward = 0):  a = x - x[0], b = a * a (the statistics, shifted by the first row);
 *   backward (backward = 1): a = g' = g * act'(x * scale + shift), b = g' * (x - mean).
 * Each thread sums its rows into buffers it allocates itself, in float per block of BLOCK rows, then into double;
 * the threads' sums are added in thread order. Always inlined with a constant `backward`, so each direction
 * gets its own vectorised loop. Returns 0, or -1 when out of memory. */
static inline __attribute__((always_inline)) int channel_sums(
    int backward, const float *restrict x, const float *restrict g, int64_t M, int64_t C, const float *restrict scale,
    const float *restrict shift, const float *restrict mean, float slope, int threads, double *restrict sums) {
    double **partials = calloc((size_t)threads, sizeof(double *));
    if (!partials) return -1;
    int failed = 0;
#pragma omp parallel num_threads(threads)
    {
        int t = omp_get_thread_num(), n = omp_get_num_threads();
        int64_t lo = M * t / n, hi = M * (t + 1) / n;
        double *part = calloc(2 * (size_t)C, sizeof(double));
        float *b1 = calloc(2 * (size_t)C, sizeof(float));
        if (!part || !b1) {
#pragma omp atomic write
            failed = 1;
        } else {
            float *b2 = b1 + C;
            for (int64_t r0 = lo; r0 < hi; r0 += BLOCK) {
                int64_t r1 = r0 + BLOCK < hi ? r0 + BLOCK : hi;
                for (int64_t r = r0; r < r1; r++) {
                    const float *xr = x + r * C;
                    if (backward) {
                        const float *gr = g + r * C;
#pragma omp simd
                        for (int64_t c = 0; c < C; c++) {
                            float gg = xr[c] * scale[c] + shift[c] > 0.0f ? gr[c] : gr[c] * slope;
                            b1[c] += gg;
                            b2[c] += gg * (xr[c] - mean[c]);
                        }
                    } else {
#pragma omp simd
                        for (int64_t c = 0; c < C; c++) {
                            float d = xr[c] - x[c];
                            b1[c] += d;
                            b2[c] += d * d;
                        }
                    }
                }
                for (int64_t c = 0; c < C; c++) {
                    part[c] += b1[c];
                    part[C + c] += b2[c];
                    b1[c] = b2[c] = 0.0f;
                }
            }
        }
        free(b1);
        partials[t] = part;
    }
    for (int t = 0; t < threads; t++) {
        if (partials[t] && !failed)
            for (int64_t c = 0; c < 2 * C; c++) sums[c] += partials[t][c];
        free(partials[t]);
    }
    free(partials);
    return failed ? -1 : 0;
}

int norm_act_forward(const float *restrict x, float *restrict y, int64_t M, int64_t C, const float *restrict gamma,
                     const float *restrict beta, double eps, double slope, float *restrict mean,
                     float *restrict invstd, double *restrict var, int threads) {
    double *sums = calloc(2 * (size_t)C, sizeof(double));
    float *scale = malloc(2 * (size_t)C * sizeof(float));
    int failed = !sums || !scale || channel_sums(0, x, NULL, M, C, NULL, NULL, NULL, 0.0f, threads, sums);
    if (!failed) {
        float *shift = scale + C;
        for (int64_t c = 0; c < C; c++) {
            double d = sums[c] / (double)M, v = sums[C + c] / (double)M - d * d;
            v = v > 0.0 ? v : 0.0;
            double m = x[c] + d, inv = 1.0 / sqrt(v + eps);
            mean[c] = (float)m;
            invstd[c] = (float)inv;
            var[c] = v;
            scale[c] = (float)(gamma[c] * inv);
            shift[c] = (float)(beta[c] - m * gamma[c] * inv);
        }
        const float s = (float)slope;
#pragma omp parallel for num_threads(threads) schedule(static)
        for (int64_t r = 0; r < M; r++) {
            const float *row = x + r * C;
            float *out = y + r * C;
#pragma omp simd
            for (int64_t c = 0; c < C; c++) {
                float v = row[c] * scale[c] + shift[c];
                out[c] = v > 0.0f ? v : v * s;
            }
        }
    }
    free(sums);
    free(scale);
    return failed ? -1 : 0;
}

/* g: the gradient of y. With g' = g * act'(pre) and xhat = (x - mean) * invstd:
 * dx = gamma * invstd * (g' - mean(g') - xhat * mean(g' * xhat)), dgamma = sum(g' * xhat), dbeta = sum(g'). */
int norm_act_backward(const float *restrict g, const float *restrict x, float *restrict dx, int64_t M, int64_t C,
                      const float *restrict gamma, const float *restrict beta, const float *restrict mean,
                      const float *restrict invstd, double slope, float *restrict dgamma, float *restrict dbeta,
                      int threads) {
    double *sums = calloc(2 * (size_t)C, sizeof(double));
    float *k = malloc(5 * (size_t)C * sizeof(float));
    int failed = !sums || !k;
    if (!failed) {
        float *scale = k, *shift = k + C, *k0 = k + 2 * C, *k1 = k + 3 * C, *k2 = k + 4 * C;
        for (int64_t c = 0; c < C; c++) {
            scale[c] = gamma[c] * invstd[c];
            shift[c] = beta[c] - mean[c] * scale[c];
        }
        const float s = (float)slope;
        failed = channel_sums(1, x, g, M, C, scale, shift, mean, s, threads, sums);
        if (!failed) {
            for (int64_t c = 0; c < C; c++) {
                double inv = invstd[c];
                dbeta[c] = (float)sums[c];
                dgamma[c] = (float)(sums[C + c] * inv);
                k0[c] = (float)(gamma[c] * inv);
                k1[c] = (float)(sums[c] / (double)M);
                k2[c] = (float)(inv * inv * sums[C + c] / (double)M);
            }
#pragma omp parallel for num_threads(threads) schedule(static)
            for (int64_t r = 0; r < M; r++) {
                const float *xr = x + r * C, *gr = g + r * C;
                float *out = dx + r * C;
#pragma omp simd
                for (int64_t c = 0; c < C; c++) {
                    float gg = xr[c] * scale[c] + shift[c] > 0.0f ? gr[c] : gr[c] * s;
                    out[c] = k0[c] * (gg - k1[c] - (xr[c] - mean[c]) * k2[c]);
                }
            }
        }
    }
    free(sums);
    free(k);
    return failed ? -1 : 0;
}
