// Fused LSQ coefficient kernel for DJL's PyTorch engine, registered as the operator
// djl_quant::lsq_coefficients through PyTorch's stable C ABI (the aoti_torch_* functions that
// libtorch_cpu.so exports since 2.7), so it needs no libtorch headers and no C++ ABI match.
//
// For v = x / s (s per channel of dimension 0, or one s for the whole tensor),
// r = round-half-even(v), q = clamp(r, qmin, qmax):
//   m = [r == q]  (1 inside the clipping range, 0 outside)
//   a = q - v·m
// which is what FusedFakeQuantize's TorchScript chain computes in six passes; here it is one.
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

extern "C" {
typedef struct AtenTensorOpaque* AtenTensorHandle;
typedef struct TorchLibraryOpaque* TorchLibraryHandle;
typedef int32_t AOTITorchError;
typedef uint64_t StableIValue;

AOTITorchError aoti_torch_get_data_ptr(AtenTensorHandle tensor, void** ret);
AOTITorchError aoti_torch_get_numel(AtenTensorHandle tensor, int64_t* ret);
AOTITorchError aoti_torch_get_dim(AtenTensorHandle tensor, int64_t* ret);
AOTITorchError aoti_torch_get_sizes(AtenTensorHandle tensor, int64_t** ret);
AOTITorchError aoti_torch_get_strides(AtenTensorHandle tensor, int64_t** ret);
AOTITorchError aoti_torch_get_dtype(AtenTensorHandle tensor, int32_t* ret);
AOTITorchError aoti_torch_get_device_type(AtenTensorHandle tensor, int32_t* ret);
AOTITorchError aoti_torch_empty_strided(int64_t ndim, const int64_t* sizes, const int64_t* strides, int32_t dtype,
        int32_t device_type, int32_t device_index, AtenTensorHandle* ret);
AOTITorchError aoti_torch_delete_tensor_object(AtenTensorHandle tensor);
int32_t aoti_torch_dtype_float32();
int32_t aoti_torch_device_type_cpu();
AOTITorchError aoti_torch_library_init_def(const char* ns, const char* file, uint32_t line, TorchLibraryHandle* ret);
AOTITorchError aoti_torch_library_init_impl(const char* ns, const char* k, const char* file, uint32_t line,
        TorchLibraryHandle* ret);
AOTITorchError aoti_torch_library_def(TorchLibraryHandle self, const char* schema);
AOTITorchError aoti_torch_library_impl(TorchLibraryHandle self, const char* name,
        void (*fn)(StableIValue*, uint64_t, uint64_t));
}

namespace {

// a tensor's shape and strides, read once (the pointers live as long as the tensor)
struct Layout {
    int64_t dim;
    int64_t* sizes;
    int64_t* strides;

    explicit Layout(AtenTensorHandle t) {
        aoti_torch_get_dim(t, &dim);
        aoti_torch_get_sizes(t, &sizes);
        aoti_torch_get_strides(t, &strides);
    }

    bool contiguous() const {
        int64_t expected = 1;
        for (int64_t d = dim - 1; d >= 0; d--) {
            if (sizes[d] != 1 && strides[d] != expected) {
                return false;
            }
            expected *= sizes[d];
        }
        return true;
    }

    AtenTensorHandle emptyFloat() const {
        AtenTensorHandle out = nullptr;
        aoti_torch_empty_strided(dim, sizes, strides, aoti_torch_dtype_float32(), aoti_torch_device_type_cpu(), 0, &out);
        return out;
    }
};

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
    AtenTensorHandle x = reinterpret_cast<AtenTensorHandle>(stack[0]);
    AtenTensorHandle scale = reinterpret_cast<AtenTensorHandle>(stack[1]);
    int64_t qmin;
    int64_t qmax;
    __builtin_memcpy(&qmin, &stack[2], sizeof qmin);
    __builtin_memcpy(&qmax, &stack[3], sizeof qmax);
    int32_t xtype;
    int32_t stype;
    int32_t device;
    aoti_torch_get_dtype(x, &xtype);
    aoti_torch_get_dtype(scale, &stype);
    aoti_torch_get_device_type(x, &device);
    int64_t n;
    int64_t channels;
    aoti_torch_get_numel(x, &n);
    aoti_torch_get_numel(scale, &channels);
    Layout xl(x);
    int64_t first = xl.dim > 0 ? xl.sizes[0] : 0;
    AtenTensorHandle m = nullptr;
    AtenTensorHandle a = nullptr;
    bool valid = xtype == aoti_torch_dtype_float32() && stype == xtype && device == aoti_torch_device_type_cpu()
            && xl.contiguous() && Layout(scale).contiguous() && (channels == 1 || channels == first);
    if (valid) {
        m = xl.emptyFloat();
        a = xl.emptyFloat();
        float* px;
        float* ps;
        float* pm;
        float* pa;
        aoti_torch_get_data_ptr(x, reinterpret_cast<void**>(&px));
        aoti_torch_get_data_ptr(scale, reinterpret_cast<void**>(&ps));
        aoti_torch_get_data_ptr(m, reinterpret_cast<void**>(&pm));
        aoti_torch_get_data_ptr(a, reinterpret_cast<void**>(&pa));
        // work items of at most 16384 values, never across channels, so one scale each
        int64_t per = n / channels;
        int64_t chunks = per == 0 ? 0 : (per + 16383) / 16384;
        #pragma omp parallel for schedule(static) if (n > 32768)
        for (int64_t item = 0; item < channels * chunks; item++) {
            int64_t c = item / chunks;
            int64_t begin = c * per + (item % chunks) * 16384;
            int64_t end = c * per + per < begin + 16384 ? c * per + per : begin + 16384;
            coefficients(px + begin, ps[c], float(qmin), float(qmax), pm + begin, pa + begin, end - begin);
        }
    }
    aoti_torch_delete_tensor_object(x);
    aoti_torch_delete_tensor_object(scale);
    if (!valid) {
        // PyTorch turns the exception into a RuntimeError that DJL raises as an EngineException
        throw std::invalid_argument("djl_quant::lsq_coefficients needs contiguous float32 CPU tensors and one scale, or one "
                + std::string("per slice of dimension 0; got ") + std::to_string(channels) + " scales for a tensor of "
                + std::to_string(n) + " values whose dimension 0 is " + std::to_string(first));
    }
    stack[0] = reinterpret_cast<StableIValue>(m);
    stack[1] = reinterpret_cast<StableIValue>(a);
}

struct Registration {
    TorchLibraryHandle def = nullptr;
    TorchLibraryHandle impl = nullptr;

    Registration() {
        aoti_torch_library_init_def("djl_quant", __FILE__, __LINE__, &def);
        aoti_torch_library_def(def, "lsq_coefficients(Tensor x, Tensor scale, int qmin, int qmax) -> (Tensor, Tensor)");
        aoti_torch_library_init_impl("djl_quant", "CPU", __FILE__, __LINE__, &impl);
        aoti_torch_library_impl(impl, "lsq_coefficients", &lsqCoefficients);
    }
};

// registered when the library is loaded; the library objects live as long as the process
const Registration registration;

} // namespace
