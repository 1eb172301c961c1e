/* Scaled dot-product attention reference (Vaswani et al. 2017) in double. */
#include "ref/ref.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void ref_attention_forward(int BH, int Sq, int Sk, int D, const double *q, const double *k, const double *v,
                           int causal, double *probs, double *out)
{
    double scale = 1 / sqrt((double)D);
    for (int b = 0; b < BH; b++)
        for (int i = 0; i < Sq; i++) {
            const double *qi = q + ((size_t)b * Sq + i) * D;
            double *pr = probs + ((size_t)b * Sq + i) * Sk, mx = -INFINITY, sum = 0;
            int n = causal && i + 1 < Sk ? i + 1 : Sk;
            for (int j = 0; j < Sk; j++) {
                double s = 0;
                for (int d = 0; d < D; d++) s += qi[d] * k[((size_t)b * Sk + j) * D + d];
                pr[j] = s * scale;
                if (j < n && pr[j] > mx) mx = pr[j];
            }
            for (int j = 0; j < Sk; j++) sum += pr[j] = j < n ? exp(pr[j] - mx) : 0.0;
            for (int j = 0; j < Sk; j++) pr[j] /= sum;
            for (int d = 0; d < D; d++) {
                double o = 0;
                for (int j = 0; j < Sk; j++) o += pr[j] * v[((size_t)b * Sk + j) * D + d];
                out[((size_t)b * Sq + i) * D + d] = o;
            }
        }
}

void ref_attention_backward(int BH, int Sq, int Sk, int D, const double *q, const double *k, const double *v,
                            int causal, const double *dout, double *dq, double *dk, double *dv)
{
    double scale = 1 / sqrt((double)D);
    double *p = malloc(sizeof *p * (size_t)BH * Sq * Sk), *o = malloc(sizeof *o * (size_t)BH * Sq * D);
    double *dp = malloc(sizeof *dp * (size_t)Sk);
    ref_attention_forward(BH, Sq, Sk, D, q, k, v, causal, p, o);
    memset(dq, 0, sizeof *dq * (size_t)BH * Sq * D);
    memset(dk, 0, sizeof *dk * (size_t)BH * Sk * D);
    memset(dv, 0, sizeof *dv * (size_t)BH * Sk * D);
    for (int b = 0; b < BH; b++)
        for (int i = 0; i < Sq; i++) {
            const double *pr = p + ((size_t)b * Sq + i) * Sk, *go = dout + ((size_t)b * Sq + i) * D;
            double dot = 0;
            for (int j = 0; j < Sk; j++) {
                dp[j] = 0;
                for (int d = 0; d < D; d++) {
                    dp[j] += go[d] * v[((size_t)b * Sk + j) * D + d];
                    dv[((size_t)b * Sk + j) * D + d] += pr[j] * go[d];
                }
                dot += dp[j] * pr[j];
            }
            for (int j = 0; j < Sk; j++) {
                double ds = pr[j] * (dp[j] - dot) * scale; /* d loss / d (q_i . k_j) */
                for (int d = 0; d < D; d++) {
                    dq[((size_t)b * Sq + i) * D + d] += ds * k[((size_t)b * Sk + j) * D + d];
                    dk[((size_t)b * Sk + j) * D + d] += ds * q[((size_t)b * Sq + i) * D + d];
                }
            }
        }
    free(p);
    free(o);
    free(dp);
}
