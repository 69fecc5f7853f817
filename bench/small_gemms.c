/* Small GEMMs timed in C, without Python's call overhead: the eight products of a digit
 * network's training step (batch 32, 64-25-15-10), 200,000 calls each (or argv[1]),
 * best of 5.
 *
 *     gcc -O3 -fno-math-errno -fno-trapping-math -fopenmp -Icsrc -o small_gemms \
 *         bench/small_gemms.c csrc/gemm.c csrc/dense.c csrc/common.c csrc/activations.c \
 *         csrc/bf16.c -lm
 *     OMP_NUM_THREADS=1 ./small_gemms
 *
 * Compare two checkouts by building each one's csrc. */
#include <stdio.h>
#include <stdlib.h>
#include "gemm.h"
#include "c_timing.h"

int main(int argc, char **argv)
{
    const struct { int ta, tb; size_t M, N, K; const char *name; } s[] = {
        {0, 0, 32, 25, 64, "forward 0  32x64 . 64x25"}, {0, 0, 32, 15, 25, "forward 1  32x25 . 25x15"},
        {0, 0, 32, 10, 15, "forward 2  32x15 . 15x10"}, {1, 0, 64, 25, 32, "dW 0       64x32 . 32x25"},
        {1, 0, 25, 15, 32, "dW 1       25x32 . 32x15"}, {1, 0, 15, 10, 32, "dW 2       15x32 . 32x10"},
        {0, 1, 32, 15, 10, "dX 2       32x10 . 10x15"}, {0, 1, 32, 25, 15, "dX 1       32x15 . 15x25"}};
    const int reps = argc > 1 ? atoi(argv[1]) : 200000;
    double total = 0;
    if (reps < 1) {
        fprintf(stderr, "calls: expected a positive count, got %s\n", argv[1]);
        return 2;
    }
    for (size_t q = 0; q < sizeof s / sizeof s[0]; q++) {
        const size_t M = s[q].M, N = s[q].N, K = s[q].K;
        const size_t lda = s[q].ta ? M : K, ldb = s[q].tb ? K : N;
        float *a = filled(M * K), *b = filled(K * N), *c = filled(M * N);
        double best = 1e9;
        for (int r = 0; r < 1000; r++)
            fnn_gemm_f32(s[q].ta, s[q].tb, M, N, K, 1.f, a, lda, b, ldb, 0.f, c, N);
        for (int rep = 0; rep < 5; rep++) {
            const double t0 = now();
            for (int r = 0; r < reps; r++)
                fnn_gemm_f32(s[q].ta, s[q].tb, M, N, K, 1.f, a, lda, b, ldb, 0.f, c, N);
            const double t = (now() - t0) / reps;
            if (t < best) best = t;
        }
        total += best;
        printf("%s  %7.1f ns  %6.1f GFLOP/s\n", s[q].name, best * 1e9, 2.0 * M * N * K / best * 1e-9);
        free(a); free(b); free(c);
    }
    printf("the step's eight GEMMs   %7.1f ns\n", total * 1e9);
    return 0;
}
