/* The bfloat16 GEMM (csrc/bf16.h) timed in C, on the caller's scratch as the engine calls
 * it: the products of a 784-512-256-10 training step (batch 128) and the digit network's
 * first layer, on the portable path (operands rounded, then the float32 GEMM) and, where
 * the CPU has AVX512_BF16, the vdpbf16ps one; best of 7 blocks of calls, each block about
 * argv[1] times 0.2 s of work (default 1).
 *
 *     gcc -O3 -fno-math-errno -fno-trapping-math -fopenmp -Icsrc -o bf16_gemms \
 *         bench/bf16_gemms.c csrc/bf16.c csrc/gemm.c csrc/dense.c csrc/common.c \
 *         csrc/activations.c -lm
 *     OMP_NUM_THREADS=1 ./bf16_gemms
 *
 * Compare two checkouts by building each one's csrc and running them alternately. */
#include <stdio.h>
#include <stdlib.h>
#include "bf16.h"
#include "c_timing.h"

int main(int argc, char **argv)
{
    const struct { int ta, tb; size_t M, N, K; const char *name; } s[] = {
        {0, 0, 128, 512, 784, "forward 0  128x784 . 784x512"},
        {1, 0, 784, 512, 128, "dW 0       784x128 . 128x512"},
        {0, 0, 128, 256, 512, "forward 1  128x512 . 512x256"},
        {1, 0, 512, 256, 128, "dW 1       512x128 . 128x256"},
        {0, 1, 128, 512, 256, "dX 1       128x256 . 256x512"},
        {0, 0, 128, 10, 256, "forward 2  128x256 . 256x10"},
        {1, 0, 256, 10, 128, "dW 2       256x128 . 128x10"},
        {0, 1, 128, 256, 10, "dX 2       128x10 . 10x256"},
        {0, 0, 32, 25, 64, "digits 0   32x64 . 64x25"}};
    const double scale = argc > 1 ? atof(argv[1]) : 1.0;
    if (!(scale > 0)) {
        fprintf(stderr, "scale: expected a positive number, got %s\n", argv[1]);
        return 2;
    }
    const int have = fnn_bf16_avx512_supported();
    printf("%-30s %12s %12s\n", "product (op(A) . op(B))", "portable", have ? "vdpbf16ps" : "-");
    for (size_t q = 0; q < sizeof s / sizeof s[0]; q++) {
        const size_t M = s[q].M, N = s[q].N, K = s[q].K;
        const size_t lda = s[q].ta ? M : K, ldb = s[q].tb ? K : N;
        float *a = filled(M * K), *b = filled(K * N), *c = filled(M * N);
        void *scratch = malloc(fnn_gemm_bf16_scratch(M, N, K));
        const double flops = 2.0 * (double)M * (double)N * (double)K;
        long reps = (long)(scale * 0.2 * 2e11 / (flops + 2e5));
        double best[2] = {0, 0};
        if (reps < 1) reps = 1;
        for (int path = 0; path <= have; path++) {
            fnn_bf16_set_avx512(path);
            best[path] = 1e9;
            fnn_gemm_bf16_ws(s[q].ta, s[q].tb, M, N, K, a, lda, b, ldb, c, N, scratch);
            for (int rep = 0; rep < 7; rep++) {
                const double t0 = now();
                for (long r = 0; r < reps; r++)
                    fnn_gemm_bf16_ws(s[q].ta, s[q].tb, M, N, K, a, lda, b, ldb, c, N, scratch);
                const double t = (now() - t0) / (double)reps;
                if (t < best[path]) best[path] = t;
            }
        }
        printf("%-30s %9.2f us", s[q].name, best[0] * 1e6);
        if (have) printf(" %9.2f us  %6.1f GFLOP/s", best[1] * 1e6, flops / best[1] * 1e-9);
        printf("\n");
        free(a); free(b); free(c); free(scratch);
    }
    return 0;
}
