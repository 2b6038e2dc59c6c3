// The shift quantizer's weight path (ShiftQuantizer, design section 1) as one native operator,
// djl_quant::shift_weight, registered through PyTorch's stable C ABI (stable_abi.h).
//
// Per output channel c (or for the whole tensor): the centre μ and spread σ of the weights W
// (mean and unbiased standard deviation, accumulated in double; uncentered, μ = 0 and σ the root
// mean square), the frozen pretrained spread σ0, and
//   gain = σ0/σ,   q = 3σ0 · Q((W - μ) / 3σ)
// with Q the shift grid ±2^e, e ∈ {bound … 0} (ceiling or nearest rounding in the log domain,
// taken exactly from the float's exponent, with no log2) or the uniform grid ±k/bound,
// k ∈ {1 … bound}. The second output is, by mode:
//   0 (hard)                 q
//   1 (gradient scaling)     (1-λ)(q - gain·W) - λ·gain·μ     so that y = gain·W + out
//   2 (gradient λ)           (1-λ)q - λ·gain·μ                so that y = λ·gain·W + out
// Two passes over W (moments, then levels) where the PyTorch-operation chain takes about twelve.
// djl_quant::shift_levels is the activation path's part: the same levels and output for the
// normalised input x̂ with μ = 0 and σ = σ0 = 1, q = 3·Q(x̂/3), in one pass; djl_quant::shift_levels_
// writes the blend's value x̂ + (1-λ)(q - x̂) over x̂ in that pass, for gradient scaling, where the
// graph needs nothing but x̂ itself (dy/dx̂ = 1): no new tensor and no add.
#include <cmath>

#include "stable_abi.h"

namespace {

using namespace djl_quant;

struct Settings {
    float lambda;
    int64_t mode;
    bool shiftGrid;
    bool nearest;
    float bound;
    bool centered;
};

struct Channel {
    float mean;
    float spread;
};

// eight running sums each, so that the loop vectorises without reordering any one sum
__attribute__((target_clones("avx512f", "avx2", "default")))
Channel moments(const float* w, int64_t n, bool centered) {
    double sums[8] = {};
    double squares[8] = {};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        for (int l = 0; l < 8; l++) {
            double v = w[i + l];
            sums[l] += v;
            squares[l] += v * v;
        }
    }
    for (int l = 0; i < n; i++, l++) {
        sums[l] += w[i];
        squares[l] += double(w[i]) * w[i];
    }
    double sum = 0;
    double square = 0;
    for (int l = 0; l < 8; l++) {
        sum += sums[l];
        square += squares[l];
    }
    double count = n > 0 ? double(n) : 1.0;
    if (!centered) {
        return {0.0f, float(std::sqrt(std::fmax(square / count, 1e-24)))};
    }
    double mean = sum / count;
    double variance = (square / count - mean * mean) * count / std::fmax(1.0, count - 1);
    return {float(mean), float(std::sqrt(std::fmax(variance, 1e-24)))};
}

// The exponent of m = 1.f·2^j read from its bits: ceil(log2 m) is j, plus one when f > 0
// (exactly: the float log2 of a value just above a power of two can round down onto it), and
// round(log2 m) is j plus one when 1.f ≥ √2 (f ≥ 0x3504F4: √2 falls between two floats, so no tie).
// Zero and subnormal m go to the smallest exponent, as log2(0) = -inf clamps there. Integer
// operations only, so the loop vectorises.
constexpr uint32_t kCeilUp = 1;
constexpr uint32_t kNearestUp = 0x3504F4;

// The signed level of d on the grid whose clipping range is clip, in [-1, 1]: callers scale it back.
template <bool Shift>
__attribute__((always_inline)) inline float level(float d, float clip, int32_t lowest, uint32_t up, float bound, bool nearest) {
    float m = std::fabs(d / clip);
    uint32_t bits;
    std::memcpy(&bits, &d, sizeof bits);
    uint32_t sign = bits & 0x80000000u;
    float magnitude;
    if constexpr (Shift) {
        uint32_t mb;
        std::memcpy(&mb, &m, sizeof mb);
        int32_t j = int32_t(mb >> 23) - 127;
        int32_t k = j + ((mb & 0x7FFFFFu) >= up ? 1 : 0);
        k = (mb >> 23) == 0 || k < lowest ? lowest : (k > 0 ? 0 : k);
        uint32_t lb = uint32_t(k + 127) << 23;
        std::memcpy(&magnitude, &lb, sizeof magnitude);
    } else {
        float t = m * bound;
        float k = nearest ? std::nearbyint(t) : std::ceil(t);
        magnitude = (k < 1.0f ? 1.0f : (k > bound ? bound : k)) / bound;
    }
    uint32_t lb;
    std::memcpy(&lb, &magnitude, sizeof lb);
    lb |= sign;
    float q;
    std::memcpy(&q, &lb, sizeof q);
    return q;
}

template <bool Shift>
__attribute__((target_clones("avx512f", "avx2", "default")))
void levels(const float* w, int64_t n, Channel ch, float s0, float gain, const Settings& s, float* out) {
    float clip = 3.0f * ch.spread;
    float back = 3.0f * s0;
    float keep = 1.0f - s.lambda;
    float shifted = s.centered ? gain * ch.mean * s.lambda : 0.0f;
    float centre = s.centered ? ch.mean : 0.0f;
    float bound = s.bound;
    bool nearest = s.nearest;
    int64_t mode = s.mode;
    int32_t lowest = int32_t(bound);
    uint32_t up = nearest ? kNearestUp : kCeilUp;
    for (int64_t i = 0; i < n; i++) {
        float q = level<Shift>(w[i] - centre, clip, lowest, up, bound, nearest) * back;
        out[i] = mode == 0 ? q : (mode == 1 ? (q - w[i] * gain) * keep : q * keep) - shifted;
    }
}

// The activation blend written over x: x + (1-λ)(q - x) with q = 3·Q(x/3), bit for bit levels's
// mode-1 out (μ = 0, gain = σ0 = σ = 1) plus x. Its own loop, so that it vectorises without a
// check of whether out and w overlap.
template <bool Shift>
__attribute__((target_clones("avx512f", "avx2", "default")))
void blendInPlace(float* x, int64_t n, const Settings& s) {
    float keep = 1.0f - s.lambda;
    float bound = s.bound;
    bool nearest = s.nearest;
    int32_t lowest = int32_t(bound);
    uint32_t up = nearest ? kNearestUp : kCeilUp;
    for (int64_t i = 0; i < n; i++) {
        float v = x[i];
        float q = level<Shift>(v, 3.0f, lowest, up, bound, nearest) * 3.0f;
        x[i] = (q - v) * keep + v;
    }
}

// Runs body(begin, count) over [0, n) in chunks of kChunk elements, in parallel when there are several.
template <typename Body>
void inChunks(int64_t n, const Body& body) {
    int64_t chunks = (n + kChunk - 1) / kChunk;
    #pragma omp parallel for schedule(static) if (n > 2 * kChunk)
    for (int64_t item = 0; item < chunks; item++) {
        int64_t begin = item * kChunk;
        body(begin, n - begin < kChunk ? n - begin : kChunk);
    }
}

std::invalid_argument badMode(const char* op, int64_t mode) {
    return std::invalid_argument("djl_quant::" + std::string(op) + ": mode must be 0 (hard), 1 or 2, got " + std::to_string(mode));
}

// shift_weight(Tensor w, Tensor sigma0, float lam, int mode, int shift_grid, int nearest, float bound,
//              int centered) -> (Tensor gain, Tensor out)
void shiftWeight(StableIValue* stack, uint64_t, uint64_t) {
    ChannelInput in(reinterpret_cast<AtenTensorHandle>(stack[0]), reinterpret_cast<AtenTensorHandle>(stack[1]));
    Settings s{float(scalar<double>(stack[2])), scalar<int64_t>(stack[3]), scalar<int64_t>(stack[4]) != 0,
        scalar<int64_t>(stack[5]) != 0, float(scalar<double>(stack[6])), scalar<int64_t>(stack[7]) != 0};
    bool valid = in.valid && s.mode >= 0 && s.mode <= 2;
    AtenTensorHandle gain = nullptr;
    AtenTensorHandle out = nullptr;
    if (valid) {
        gain = in.scale.layout.emptyFloat();
        out = in.x.layout.emptyFloat();
        const float* pw = in.x.data();
        const float* ps = in.scale.data();
        float* pg = FloatTensor::pointer(gain);
        float* po = FloatTensor::pointer(out);
        int64_t per = in.x.n / in.channels;
        #pragma omp parallel for schedule(dynamic, 1) if (in.x.n > 2 * kChunk)
        for (int64_t c = 0; c < in.channels; c++) {
            const float* wc = pw + c * per;
            Channel ch = moments(wc, per, s.centered);
            pg[c] = ps[c] / ch.spread;
            if (s.shiftGrid) {
                levels<true>(wc, per, ch, ps[c], pg[c], s, po + c * per);
            } else {
                levels<false>(wc, per, ch, ps[c], pg[c], s, po + c * per);
            }
        }
    }
    in.release();
    if (!valid) {
        if (in.valid) {
            throw badMode("shift_weight", s.mode);
        }
        throw in.refusal("shift_weight");
    }
    stack[0] = reinterpret_cast<StableIValue>(gain);
    stack[1] = reinterpret_cast<StableIValue>(out);
}

// shift_levels(Tensor x, float lam, int mode, int shift_grid, int nearest, float bound) -> Tensor out
// The activation path on the normalised input x̂: q = 3·Q(x̂/3), and out as shift_weight's with
// μ = 0 and gain = σ0 = σ = 1.
void shiftLevels(StableIValue* stack, uint64_t, uint64_t) {
    FloatTensor x(reinterpret_cast<AtenTensorHandle>(stack[0]));
    Settings s{float(scalar<double>(stack[1])), scalar<int64_t>(stack[2]), scalar<int64_t>(stack[3]) != 0,
        scalar<int64_t>(stack[4]) != 0, float(scalar<double>(stack[5])), false};
    bool valid = x.valid && s.mode >= 0 && s.mode <= 2;
    AtenTensorHandle out = nullptr;
    if (valid) {
        out = x.layout.emptyFloat();
        const float* px = x.data();
        float* po = FloatTensor::pointer(out);
        inChunks(x.n, [&](int64_t begin, int64_t count) {
            if (s.shiftGrid) {
                levels<true>(px + begin, count, Channel{0.0f, 1.0f}, 1.0f, 1.0f, s, po + begin);
            } else {
                levels<false>(px + begin, count, Channel{0.0f, 1.0f}, 1.0f, 1.0f, s, po + begin);
            }
        });
    }
    x.release();
    if (!valid) {
        throw x.valid ? badMode("shift_levels", s.mode) : std::invalid_argument("djl_quant::shift_levels needs a contiguous float32 CPU tensor");
    }
    stack[0] = reinterpret_cast<StableIValue>(out);
}

// shift_levels_(Tensor(a!) x, float lam, int shift_grid, int nearest, float bound) -> Tensor(a!)
// In place: x becomes x + (1-λ)(q - x), bit for bit shift_levels's mode-1 out plus x.
void shiftLevelsInPlace(StableIValue* stack, uint64_t, uint64_t) {
    FloatTensor x(reinterpret_cast<AtenTensorHandle>(stack[0]));
    Settings s{float(scalar<double>(stack[1])), 1, scalar<int64_t>(stack[2]) != 0, scalar<int64_t>(stack[3]) != 0,
        float(scalar<double>(stack[4])), false};
    if (!x.valid) {
        x.release();
        throw std::invalid_argument("djl_quant::shift_levels_ needs a contiguous float32 CPU tensor");
    }
    float* px = x.data();
    inChunks(x.n, [&](int64_t begin, int64_t count) {
        if (s.shiftGrid) {
            blendInPlace<true>(px + begin, count, s);
        } else {
            blendInPlace<false>(px + begin, count, s);
        }
    });
    // the input's handle becomes the output's: it aliases x, as the schema says
    stack[0] = reinterpret_cast<StableIValue>(x.handle);
}

struct Registration {
    TorchLibraryHandle def = nullptr;
    TorchLibraryHandle impl = nullptr;

    Registration() {
        aoti_torch_library_init_fragment("djl_quant", __FILE__, __LINE__, &def);
        aoti_torch_library_def(def, "shift_weight(Tensor w, Tensor sigma0, float lam, int mode, int shift_grid, int nearest, "
                "float bound, int centered) -> (Tensor, Tensor)");
        aoti_torch_library_def(def, "shift_levels(Tensor x, float lam, int mode, int shift_grid, int nearest, float bound) -> Tensor");
        aoti_torch_library_def(def, "shift_levels_(Tensor(a!) x, float lam, int shift_grid, int nearest, float bound) -> Tensor(a!)");
        aoti_torch_library_init_impl("djl_quant", "CPU", __FILE__, __LINE__, &impl);
        aoti_torch_library_impl(impl, "shift_weight", &shiftWeight);
        aoti_torch_library_impl(impl, "shift_levels", &shiftLevels);
        aoti_torch_library_impl(impl, "shift_levels_", &shiftLevelsInPlace);
    }
};

// registered when the library is loaded; the library objects live as long as the process
const Registration registration;

} // namespace
