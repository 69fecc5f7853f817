/* Keras' weight constraints on a Dense kernel (contract: constraints.h). */
#include <math.h>
#include "constraints.h"

/* Every product and sum rounded on its own, as NumPy rounds each operation. */
#pragma STDC FP_CONTRACT OFF
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=off")
#endif

#define FNN_REAL_F32
#include "constraints_impl.inc"
#undef FNN_REAL_F32
#define FNN_REAL_F64
#include "constraints_impl.inc"
#undef FNN_REAL_F64
