/* Optimizer updates in place (contract: optimizers.h), Keras 3 formulas.
 *
 * Each element is updated by one thread from its own values, so results never depend
 * on the thread count. Hyper-parameters are rounded to the parameter's type once, as
 * Keras casts them to the variable's dtype.
 */
#include <math.h>
#include "optimizers.h"

/* ~10 flops and 3-5 streams per element: worth threads only for big layers. */
#define OPT_COST 4.0

#define FNN_REAL_F32
#include "opt_impl.inc"
#undef FNN_REAL_F32
#define FNN_REAL_F64
#include "opt_impl.inc"
#undef FNN_REAL_F64
