// glibc malloc settings for training (ai.djl.quant.training.TensorMemory): PyTorch's CPU tensors
// come from malloc, and with glibc's defaults a training step that frees and re-allocates
// activations of several MB takes them from fresh mmaps or a re-grown heap top, one page fault per
// 4 KiB, until glibc's dynamic thresholds have caught up with the model's sizes.
#include <climits>
#include <cstdint>
#include <malloc.h>

// The JNI binding of TensorMemory.keepFreed0(long, long, long), declared without jni.h: a JNIEnv*,
// the class, then the arguments as 64-bit integers. Returns 1 when glibc took all three settings.
extern "C" __attribute__((visibility("default"))) int32_t Java_ai_djl_quant_training_TensorMemory_keepFreed0(
        void* /*env*/, void* /*clazz*/, int64_t mmapThreshold, int64_t trimThreshold, int64_t topPad) {
    if (mmapThreshold < 0 || mmapThreshold > INT_MAX || trimThreshold < 0 || trimThreshold > INT_MAX || topPad < 0
            || topPad > INT_MAX) {
        return 0;
    }
    int ok = mallopt(M_MMAP_THRESHOLD, static_cast<int>(mmapThreshold));
    ok &= mallopt(M_TRIM_THRESHOLD, static_cast<int>(trimThreshold));
    ok &= mallopt(M_TOP_PAD, static_cast<int>(topPad));
    return ok;
}
