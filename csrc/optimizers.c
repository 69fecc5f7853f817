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

#ifdef _OPENMP
#define OPT_TID() omp_get_thread_num()
#define OPT_TEAM() omp_get_num_threads()
#else
#define OPT_TID() 0
#define OPT_TEAM() 1
#endif

#define FNN_REAL_F32
#include "opt_impl.inc"
#undef FNN_REAL_F32
#define FNN_REAL_F64
#include "opt_impl.inc"
#undef FNN_REAL_F64
