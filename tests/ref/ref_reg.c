/* Regularizer values in double precision from their definitions,
 * independent of src/reg and cl/reg_*.cl. */
#include "ref/ref.h"

#include <math.h>
#include <stdlib.h>

double ref_reg_elementwise(size_t n, const double *w, const double *mask, double l1, double l2)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (mask ? mask[i] : 1.0) * (l1 * fabs(w[i]) + 0.5 * l2 * w[i] * w[i]);
    return s;
}

void ref_group_norms(const double *w, size_t rows, size_t cols, int by_cols, double *norms)
{
    size_t groups = by_cols ? cols : rows;
    for (size_t g = 0; g < groups; g++) norms[g] = 0;
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++) norms[by_cols ? c : r] += w[r * cols + c] * w[r * cols + c];
    for (size_t g = 0; g < groups; g++) norms[g] = sqrt(norms[g]);
}

double ref_group_lasso(const double *w, size_t rows, size_t cols, int by_cols, double lambda)
{
    size_t groups = by_cols ? cols : rows;
    double *nrm = malloc(groups * sizeof *nrm), s = 0;
    if (!nrm) return NAN;
    ref_group_norms(w, rows, cols, by_cols, nrm);
    for (size_t g = 0; g < groups; g++) s += nrm[g];
    free(nrm);
    return lambda * s;
}

double ref_norm_loss(const double *w, size_t rows, size_t cols, double lambda)
{
    double *nrm = malloc(rows * sizeof *nrm), s = 0;
    if (!nrm) return NAN;
    ref_group_norms(w, rows, cols, 0, nrm);
    for (size_t r = 0; r < rows; r++) s += (nrm[r] - 1) * (nrm[r] - 1);
    free(nrm);
    return lambda * s;
}

double ref_ortho(const double *w, size_t rows, size_t cols, double lambda)
{
    double s = 0;
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < rows; j++) {
            double d = 0;
            for (size_t k = 0; k < cols; k++) d += w[i * cols + k] * w[j * cols + k];
            d -= i == j ? 1.0 : 0.0;
            s += d * d;
        }
    return lambda * s;
}
