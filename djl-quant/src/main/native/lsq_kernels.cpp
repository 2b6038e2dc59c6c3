// Fused LSQ coefficient kernel for DJL's PyTorch engine, registered as the operator
// djl_quant::lsq_coefficients through PyTorch's stable C ABI (stable_abi.h).
//
// For v = x / s (s per channel of dimension 0, or one s for the whole tensor),
// r = round-half-even(v), q = clamp(r, qmin, qmax):
//   m = [r == q]  (1 inside the clipping range, 0 outside)
//   a = q - v·m
// which is what FusedFakeQuantize's TorchScript chain computes in six passes; here it is one.
#include <cmath>

#include "stable_abi.h"

namespace {

using namespace djl_quant;

__attribute__((target_clones("avx512f", "avx2", "default")))
void coefficients(const float* x, float s, float qmin, float qmax, float* m, float* a, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        float v = x[i] / s;
        float r = std::nearbyint(v);
        float q = r < qmin ? qmin : (r > qmax ? qmax : r);
        float inside = r == q ? 1.0f : 0.0f;
        m[i] = inside;
        a[i] = q - v * inside;
    }
}

// lsq_coefficients(Tensor x, Tensor scale, int qmin, int qmax) -> (Tensor m, Tensor a)
void lsqCoefficients(StableIValue* stack, uint64_t, uint64_t) {
    ChannelInput in(reinterpret_cast<AtenTensorHandle>(stack[0]), reinterpret_cast<AtenTensorHandle>(stack[1]));
    float qmin = float(scalar<int64_t>(stack[2]));
    float qmax = float(scalar<int64_t>(stack[3]));
    AtenTensorHandle m = nullptr;
    AtenTensorHandle a = nullptr;
    if (in.valid) {
        m = in.x.layout.emptyFloat();
        a = in.x.layout.emptyFloat();
        const float* px = in.x.data();
        const float* ps = in.scale.data();
        float* pm = FloatTensor::pointer(m);
        float* pa = FloatTensor::pointer(a);
        int64_t per = in.x.n / in.channels;
        int64_t chunks = per == 0 ? 0 : (per + kChunk - 1) / kChunk;
        #pragma omp parallel for schedule(static) if (in.x.n > 2 * kChunk)
        for (int64_t item = 0; item < in.channels * chunks; item++) {
            int64_t c = item / chunks;
            int64_t begin = c * per + (item % chunks) * kChunk;
            int64_t end = c * per + per < begin + kChunk ? c * per + per : begin + kChunk;
            coefficients(px + begin, ps[c], qmin, qmax, pm + begin, pa + begin, end - begin);
        }
    }
    in.release();
    if (!in.valid) {
        throw in.refusal("lsq_coefficients");
    }
    stack[0] = reinterpret_cast<StableIValue>(m);
    stack[1] = reinterpret_cast<StableIValue>(a);
}

struct Registration {
    TorchLibraryHandle def = nullptr;
    TorchLibraryHandle impl = nullptr;

    Registration() {
        aoti_torch_library_init_fragment("djl_quant", __FILE__, __LINE__, &def);
        aoti_torch_library_def(def, "lsq_coefficients(Tensor x, Tensor scale, int qmin, int qmax) -> (Tensor, Tensor)");
        aoti_torch_library_init_impl("djl_quant", "CPU", __FILE__, __LINE__, &impl);
        aoti_torch_library_impl(impl, "lsq_coefficients", &lsqCoefficients);
    }
};

// registered when the library is loaded; the library objects live as long as the process
const Registration registration;

} // namespace
