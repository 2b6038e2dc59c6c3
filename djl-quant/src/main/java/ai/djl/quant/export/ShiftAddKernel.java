package ai.djl.quant.export;

import ai.djl.quant.quantizers.Codebook;
import ai.djl.quant.quantizers.NHotLevels;
import java.util.stream.IntStream;

/**
 * Multiplication-free convolution and linear kernels for models whose weights are integers times a
 * per-channel scale (uniform, power-of-two, shift and n-hot quantizers): every weight is decomposed
 * into its non-adjacent signed digits once, and the inner loops only shift and add integer
 * activations into an int32 accumulator. The scales are applied once per output value.
 *
 * <pre>
 *   y[n, o, p] = s_w[o] · s_a · Σ_{c, k} Σ_{(shift, sign) ∈ NAF(m[o, c, k])} sign · (x[n, c, p+k] &lt;&lt; shift) + b[o]
 * </pre>
 *
 * <p>{@link #operations()} counts the shift-adds of the layer as {@link CostReport} does: one per
 * non-zero digit and output position, zero-padding positions included (their operand is zero, so
 * the loops skip them, as hardware may).
 */
public final class ShiftAddKernel {

    private final int outChannels;
    private final int inPerGroup;
    private final int kh;
    private final int kw;
    private final int groups;
    /** Per output channel, per weight position: the digits as (shift, sign) packed into shorts. */
    private final short[][][] digits;
    private final float[] outputScale;
    /** Per output channel, the digits of all its weights: the shift-adds of one output value. */
    private final long[] digitsPerOutput;
    private long operations;

    /**
     * Prepares the kernel from a weight codebook whose levels are integers after multiplying by a
     * power of two; that power of two moves into the scales.
     *
     * @param weights the codebook of a weight tensor (outChannels, inPerGroup, kh, kw), or (out, in)
     * @param shape the weight shape
     * @param groups the convolution groups (1 for linear)
     * @param activationScale the step of the integer activations
     * @throws IllegalArgumentException when a level is not a dyadic rational (learned levels)
     */
    public ShiftAddKernel(Codebook weights, long[] shape, int groups, float activationScale) {
        outChannels = (int) shape[0];
        inPerGroup = (int) shape[1];
        kh = shape.length > 2 ? (int) shape[2] : 1;
        kw = shape.length > 3 ? (int) shape[3] : 1;
        this.groups = groups;
        int exponent = weights.dyadicExponent().orElseThrow(() -> new IllegalArgumentException(
                "weight levels are not integers times a power of two (learned levels?): no shift-add form"));
        float unit = (float) Math.scalb(1.0, -exponent);
        int perRow = inPerGroup * kh * kw;
        int[] integers = weights.integerCodes(exponent);
        digits = new short[outChannels][perRow][];
        outputScale = new float[outChannels];
        digitsPerOutput = new long[outChannels];
        for (int o = 0; o < outChannels; o++) {
            outputScale[o] = weights.scale(o) * unit * activationScale;
            for (int i = 0; i < perRow; i++) {
                digits[o][i] = naf(integers[o * perRow + i]);
                digitsPerOutput[o] += digits[o][i].length;
            }
        }
    }

    /** The non-adjacent form of m as (shift << 1 | negative) entries. */
    private static short[] naf(long m) {
        short[] out = new short[NHotLevels.nafWeight(m)];
        long v = Math.abs(m);
        boolean negative = m < 0;
        int shift = 0;
        int n = 0;
        while (v != 0) {
            if ((v & 1) == 1) {
                long digit = 2 - (v & 3);
                v -= digit;
                boolean minus = (digit < 0) != negative;
                out[n++] = (short) (shift << 1 | (minus ? 1 : 0));
            }
            v >>= 1;
            shift++;
        }
        return out;
    }

    /**
     * Runs a 2-D convolution on integer activations. The batch is the innermost axis of the
     * working layout, so each shift-add streams over {@code batch} (or {@code batch × row}, at
     * stride 1) contiguous integers, which the JIT turns into SIMD shifts and adds; output
     * channels run in parallel on the common fork-join pool.
     *
     * @param x activation codes (batch, channels, height, width), row-major
     * @param shape the input shape
     * @param stride the stride (same on both axes)
     * @param padding the zero padding (same on both axes)
     * @param bias the bias per output channel, or null
     * @return the float output (batch, outChannels, outH, outW)
     */
    public float[] conv2d(int[] x, long[] shape, int stride, int padding, float[] bias) {
        int batch = (int) shape[0];
        int channels = (int) shape[1];
        int h = (int) shape[2];
        int w = (int) shape[3];
        int oh = (h + 2 * padding - kh) / stride + 1;
        int ow = (w + 2 * padding - kw) / stride + 1;
        int outPerGroup = outChannels / groups;
        int[] xt = batchInnermost(x, batch, channels * h * w);
        float[] y = new float[batch * outChannels * oh * ow];
        IntStream.range(0, outChannels).parallel().forEach(o -> {
            int[] acc = new int[oh * ow * batch];
            int firstChannel = (o / outPerGroup) * inPerGroup;
            int wi = 0;
            for (int c = 0; c < inPerGroup; c++) {
                int plane = (firstChannel + c) * h;
                for (int u = 0; u < kh; u++) {
                    // output rows whose input row i·stride - padding + u lies inside the image
                    int iFrom = Math.max(0, ceilDiv(padding - u, stride));
                    int iTo = Math.min(oh - 1, Math.floorDiv(h - 1 + padding - u, stride));
                    for (int v = 0; v < kw; v++, wi++) {
                        short[] ds = digits[o][wi];
                        if (ds.length == 0 || iFrom > iTo) {
                            continue;
                        }
                        int jFrom = Math.max(0, ceilDiv(padding - v, stride));
                        int jTo = Math.min(ow - 1, Math.floorDiv(w - 1 + padding - v, stride));
                        if (jFrom > jTo) {
                            continue;
                        }
                        for (short d : ds) {
                            int shift = d >> 1;
                            boolean minus = (d & 1) == 1;
                            for (int i = iFrom; i <= iTo; i++) {
                                int in = (plane + i * stride - padding + u) * w - padding + v;
                                int out = i * ow;
                                if (stride == 1) {
                                    shiftAdd(acc, (out + jFrom) * batch, xt, (in + jFrom) * batch, (jTo - jFrom + 1) * batch, shift, minus);
                                } else {
                                    for (int j = jFrom; j <= jTo; j++) {
                                        shiftAdd(acc, (out + j) * batch, xt, (in + j * stride) * batch, batch, shift, minus);
                                    }
                                }
                            }
                        }
                    }
                }
            }
            float b = bias == null ? 0 : bias[o];
            int positions = oh * ow;
            for (int n = 0; n < batch; n++) {
                int base = (n * outChannels + o) * positions;
                for (int p = 0; p < positions; p++) {
                    y[base + p] = acc[p * batch + n] * outputScale[o] + b;
                }
            }
        });
        long perPosition = 0;
        for (long count : digitsPerOutput) {
            perPosition += count;
        }
        operations += perPosition * oh * ow * batch;
        return y;
    }

    /** The multiply-free inner loop: shift a run of activations and add (or subtract) it. */
    private static void shiftAdd(int[] acc, int to, int[] x, int from, int length, int shift, boolean minus) {
        if (minus) {
            for (int k = 0; k < length; k++) {
                acc[to + k] -= x[from + k] << shift;
            }
        } else {
            for (int k = 0; k < length; k++) {
                acc[to + k] += x[from + k] << shift;
            }
        }
    }

    /** (batch, rest) to (rest, batch). */
    private static int[] batchInnermost(int[] x, int batch, int perExample) {
        if (batch == 1) {
            return x;
        }
        int[] t = new int[x.length];
        for (int n = 0; n < batch; n++) {
            for (int i = 0; i < perExample; i++) {
                t[i * batch + n] = x[n * perExample + i];
            }
        }
        return t;
    }

    private static int ceilDiv(int a, int b) {
        return -Math.floorDiv(-a, b);
    }

    /**
     * Runs a linear layer on integer activations.
     *
     * @param x activation codes (batch, features)
     * @param batch the batch size
     * @param bias the bias, or null
     * @return the output (batch, outChannels)
     */
    public float[] linear(int[] x, int batch, float[] bias) {
        float[] y = new float[batch * outChannels];
        for (int n = 0; n < batch; n++) {
            for (int o = 0; o < outChannels; o++) {
                int acc = 0;
                for (int i = 0; i < inPerGroup; i++) {
                    int a = x[n * inPerGroup + i];
                    for (short d : digits[o][i]) {
                        int term = a << (d >> 1);
                        acc += (d & 1) == 0 ? term : -term;
                    }
                }
                y[n * outChannels + o] = acc * outputScale[o] + (bias == null ? 0 : bias[o]);
                operations += digitsPerOutput[o];
            }
        }
        return y;
    }

    /**
     * Returns the shift-add operations of the outputs computed so far (zero-padding positions
     * counted, as in the cost report).
     *
     * @return the count
     */
    public long operations() {
        return operations;
    }
}
