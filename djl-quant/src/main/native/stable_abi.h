// What the project's native operators need from PyTorch's stable C ABI (the aoti_torch_*
// functions that libtorch_cpu.so exports since 2.7), declared by hand so that no libtorch headers
// and no C++ ABI match are needed, and the checks and allocations every operator shares.
#pragma once

#include <cstdint>
#include <cstring>
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
AOTITorchError aoti_torch_library_init_fragment(const char* ns, const char* file, uint32_t line, TorchLibraryHandle* ret);
AOTITorchError aoti_torch_library_init_impl(const char* ns, const char* k, const char* file, uint32_t line,
        TorchLibraryHandle* ret);
AOTITorchError aoti_torch_library_def(TorchLibraryHandle self, const char* schema);
AOTITorchError aoti_torch_library_impl(TorchLibraryHandle self, const char* name,
        void (*fn)(StableIValue*, uint64_t, uint64_t));
}

namespace djl_quant {

// Work items of at most this many values, never across channels, so that each has one scale.
constexpr int64_t kChunk = 16384;

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

    int64_t first() const {
        return dim > 0 ? sizes[0] : 0;
    }

    AtenTensorHandle emptyFloat() const {
        AtenTensorHandle out = nullptr;
        aoti_torch_empty_strided(dim, sizes, strides, aoti_torch_dtype_float32(), aoti_torch_device_type_cpu(), 0, &out);
        return out;
    }
};

// An operator's input, valid when it is a contiguous float32 CPU tensor; the operator releases it.
struct FloatTensor {
    AtenTensorHandle handle;
    Layout layout;
    int64_t n = 0;
    bool valid = false;

    explicit FloatTensor(AtenTensorHandle t) : handle(t), layout(t) {
        int32_t type;
        int32_t device;
        aoti_torch_get_dtype(t, &type);
        aoti_torch_get_device_type(t, &device);
        aoti_torch_get_numel(t, &n);
        valid = type == aoti_torch_dtype_float32() && device == aoti_torch_device_type_cpu() && layout.contiguous();
    }

    float* data() const {
        return pointer(handle);
    }

    static float* pointer(AtenTensorHandle t) {
        void* p;
        aoti_torch_get_data_ptr(t, &p);
        return static_cast<float*>(p);
    }

    void release() const {
        aoti_torch_delete_tensor_object(handle);
    }
};

// A per-channel operator's tensor and its scales: valid when both are contiguous float32 CPU
// tensors and there is one scale, or one per slice of dimension 0.
struct ChannelInput {
    FloatTensor x;
    FloatTensor scale;
    int64_t channels;
    bool valid;

    ChannelInput(AtenTensorHandle x, AtenTensorHandle scale)
            : x(x), scale(scale), channels(this->scale.n),
              valid(this->x.valid && this->scale.valid && channels > 0 && (channels == 1 || channels == this->x.layout.first())) {}

    // the operator's inputs are its to release, before it returns or throws
    void release() const {
        x.release();
        scale.release();
    }

    // PyTorch turns the exception into a RuntimeError that DJL raises as an EngineException
    std::invalid_argument refusal(const char* op) const {
        return std::invalid_argument("djl_quant::" + std::string(op) + " needs contiguous float32 CPU tensors and one scale, or "
                + "one per slice of dimension 0; got " + std::to_string(channels) + " scales for a tensor of "
                + std::to_string(x.n) + " values whose dimension 0 is " + std::to_string(x.layout.first()));
    }
};

template <typename T>
T scalar(const StableIValue& value) {
    T out;
    std::memcpy(&out, &value, sizeof out);
    return out;
}

} // namespace djl_quant
