# Element-wise kernel families: activations, losses, optimizers (csrc/activations.h,
# csrc/losses.h, csrc/optimizers.h). Raw bindings: fastnn.ops validates dtypes and
# shapes for users; here only cheap extent checks that keep C inside its buffers.

cdef extern from "activations.h" nogil:
    int FNN_ACT_COUNT
    void fnn_act_forward_f32(int act, double param, size_t rows, size_t cols,
                             const float *z, float *a)
    void fnn_act_forward_f64(int act, double param, size_t rows, size_t cols,
                             const double *z, double *a)
    void fnn_act_backward_f32(int act, double param, size_t rows, size_t cols,
                              const float *z, const float *a, const float *da, float *dz)
    void fnn_act_backward_f64(int act, double param, size_t rows, size_t cols,
                              const double *z, const double *a, const double *da,
                              double *dz)


cdef inline int _check_act(int act) except -1:
    if act < 0 or act >= FNN_ACT_COUNT:
        raise ValueError(f"activation code must be in [0, {FNN_ACT_COUNT}), got {act}")
    return 0


cdef inline int _same_shape2(str name, tuple expected, tuple given) except -1:
    if expected != given:
        raise ValueError(f"{name} must have shape {expected}, got {given}")
    return 0


def act_forward(int act, double param, floating[:, ::1] z, floating[:, ::1] a):
    """a = f(z) on a 2-D C-contiguous block (a may be z). Softmax kinds work per row."""
    _check_act(act)
    cdef size_t rows = z.shape[0], cols = z.shape[1]
    _same_shape2("a", (z.shape[0], z.shape[1]), (a.shape[0], a.shape[1]))
    if rows == 0 or cols == 0:
        return
    with nogil:
        if floating is float:
            fnn_act_forward_f32(act, param, rows, cols, &z[0, 0], &a[0, 0])
        else:
            fnn_act_forward_f64(act, param, rows, cols, &z[0, 0], &a[0, 0])


def act_backward(int act, double param, floating[:, ::1] z, floating[:, ::1] a,
                 floating[:, ::1] da, floating[:, ::1] dz):
    """dz = da * f'(z) (vector-Jacobian product for softmax kinds); dz may be da."""
    _check_act(act)
    cdef size_t rows = z.shape[0], cols = z.shape[1]
    shape = (z.shape[0], z.shape[1])
    _same_shape2("a", shape, (a.shape[0], a.shape[1]))
    _same_shape2("da", shape, (da.shape[0], da.shape[1]))
    _same_shape2("dz", shape, (dz.shape[0], dz.shape[1]))
    if rows == 0 or cols == 0:
        return
    with nogil:
        if floating is float:
            fnn_act_backward_f32(act, param, rows, cols, &z[0, 0], &a[0, 0], &da[0, 0],
                                 &dz[0, 0])
        else:
            fnn_act_backward_f64(act, param, rows, cols, &z[0, 0], &a[0, 0], &da[0, 0],
                                 &dz[0, 0])
