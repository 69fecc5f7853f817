/* Batch normalization kernels (contract: batchnorm.h). */
#include <math.h>
#include "batchnorm.h"

#define FNN_REAL_F32
#include "bn_impl.inc"
#undef FNN_REAL_F32
#define FNN_REAL_F64
#include "bn_impl.inc"
#undef FNN_REAL_F64
