/* Layer normalization kernels (contract: layernorm.h). */
#include <math.h>
#include "layernorm.h"

#define FNN_REAL_F32
#include "ln_impl.inc"
#undef FNN_REAL_F32
#define FNN_REAL_F64
#include "ln_impl.inc"
#undef FNN_REAL_F64
