package ai.djl.quant.export;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.quant.quantizers.Quantizer;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * A pure-Java inference engine for quantized models, lowered by {@link ModelLowering}: a
 * convolution or linear layer whose input is quantized on a grid of integer levels (uniform or
 * n-hot) and whose weights are
 * integers times a channel scale (uniform, power-of-two, shift, n-hot) runs in {@link
 * ShiftAddKernel} with integer shifts and additions only and int32 accumulation, the scales applied
 * once per output; everything else (float layers such as the first convolution and the classifier,
 * ReLU, pooling, residual sums) runs in float.
 *
 * <p>{@link #shiftAdds()} counts the shift-adds performed and {@link #floatMacs()} the float
 * multiply-accumulates, so a run can be checked against the {@link CostReport}.
 */
public final class IntegerEngine {

    private final List<Step> steps = new ArrayList<>();
    private final List<ShiftAddKernel> kernels = new ArrayList<>();
    private final long[] inputShape;
    private int tensors;
    private int output;
    private long floatMacs;

    private IntegerEngine(long[] inputShape) {
        this.inputShape = inputShape;
    }

    /**
     * Compiles a model.
     *
     * @param block an initialized model (wrapped models: calibrated or loaded)
     * @param inputShape the shape of one example without the batch axis, e.g. (1, 28, 28)
     * @return the engine
     * @throws UnsupportedOperationException when a layer cannot be lowered, naming its path
     */
    public static IntegerEngine compile(Block block, Shape inputShape) {
        IntegerEngine engine = new IntegerEngine(inputShape.getShape());
        Value out = ModelLowering.lower(block, engine.new Compiler(), new Value(engine.tensors++, inputShape.getShape(), Float.NaN));
        engine.output = out.id();
        return engine;
    }

    /**
     * Runs a batch.
     *
     * @param input the inputs, row-major (batch, ...inputShape)
     * @param batch the batch size
     * @return the outputs, row-major (batch, ...)
     */
    public float[] forward(float[] input, int batch) {
        Tensor[] env = new Tensor[tensors];
        env[0] = new Tensor(input, null, Float.NaN);
        for (Step step : steps) {
            step.run(env, batch);
        }
        return env[output].floats();
    }

    /**
     * Returns the shift-add operations performed so far by the integer layers.
     *
     * @return the count
     */
    public long shiftAdds() {
        return kernels.stream().mapToLong(ShiftAddKernel::operations).sum();
    }

    /**
     * Returns the float multiply-accumulates performed so far by the float layers.
     *
     * @return the count
     */
    public long floatMacs() {
        return floatMacs;
    }

    /**
     * Returns the number of layers that run on integers.
     *
     * @return the count
     */
    public int integerLayers() {
        return kernels.size();
    }

    /** A compile-time tensor: its slot, per-example shape, and its integer scale (NaN for floats). */
    private record Value(int id, long[] shape, float scale) {
        int perExample() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return (int) n;
        }
    }

    /** A run-time tensor: floats, or integer codes with their scale. */
    private record Tensor(float[] data, int[] codes, float scale) {
        float[] floats() {
            if (data != null) {
                return data;
            }
            float[] f = new float[codes.length];
            for (int i = 0; i < f.length; i++) {
                f[i] = codes[i] * scale;
            }
            return f;
        }
    }

    @FunctionalInterface
    private interface Step {
        void run(Tensor[] env, int batch);
    }

    private Value add(long[] shape, float scale, Step step) {
        steps.add(step);
        return new Value(tensors++, shape, scale);
    }

    /** Builds the steps as the lowering visits the model. */
    private final class Compiler implements LoweringTarget<Value> {

        private Value elementwise(Value x, java.util.function.DoubleUnaryOperator f) {
            int out = tensors;
            return add(x.shape(), Float.NaN, (env, batch) -> {
                float[] in = env[x.id()].floats();
                float[] y = new float[in.length];
                for (int i = 0; i < y.length; i++) {
                    y[i] = (float) f.applyAsDouble(in[i]);
                }
                env[out] = new Tensor(y, null, Float.NaN);
            });
        }

        @Override
        public Value relu(Value x) {
            return elementwise(x, v -> Math.max(v, 0));
        }

        @Override
        public Value relu6(Value x) {
            return elementwise(x, v -> Math.min(Math.max(v, 0), 6));
        }

        @Override
        public Value globalAveragePool(Value x) {
            int channels = (int) x.shape()[0];
            int plane = x.perExample() / channels;
            int out = tensors;
            return add(new long[] {channels}, Float.NaN, (env, batch) -> {
                float[] in = env[x.id()].floats();
                float[] y = new float[batch * channels];
                for (int i = 0; i < y.length; i++) {
                    double s = 0;
                    for (int j = 0; j < plane; j++) {
                        s += in[i * plane + j];
                    }
                    y[i] = (float) (s / plane);
                }
                env[out] = new Tensor(y, null, Float.NaN);
            });
        }

        @Override
        public Value flatten(Value x) {
            int out = tensors;
            return add(new long[] {x.perExample()}, x.scale(), (env, batch) -> env[out] = env[x.id()]);
        }

        @Override
        public Value sum(List<Value> xs) {
            int out = tensors;
            return add(xs.get(0).shape(), Float.NaN, (env, batch) -> {
                float[] y = env[xs.get(0).id()].floats().clone();
                for (int k = 1; k < xs.size(); k++) {
                    float[] in = env[xs.get(k).id()].floats();
                    for (int i = 0; i < y.length; i++) {
                        y[i] += in[i];
                    }
                }
                env[out] = new Tensor(y, null, Float.NaN);
            });
        }

        @Override
        public Value concat(List<Value> xs) {
            long channels = xs.stream().mapToLong(v -> v.shape()[0]).sum();
            long[] shape = xs.get(0).shape().clone();
            shape[0] = channels;
            int out = tensors;
            return add(shape, Float.NaN, (env, batch) -> {
                int total = xs.stream().mapToInt(Value::perExample).sum();
                float[] y = new float[batch * total];
                for (int n = 0; n < batch; n++) {
                    int offset = n * total;
                    for (Value v : xs) {
                        int size = v.perExample();
                        System.arraycopy(env[v.id()].floats(), n * size, y, offset, size);
                        offset += size;
                    }
                }
                env[out] = new Tensor(y, null, Float.NaN);
            });
        }

        @Override
        public Value batchNorm(Value x, BatchNormValues bn) {
            int channels = (int) x.shape()[0];
            int plane = x.perExample() / channels;
            float[] a = new float[channels];
            float[] b = new float[channels];
            for (int c = 0; c < channels; c++) {
                a[c] = (float) (bn.gamma()[c] / Math.sqrt(bn.variance()[c] + bn.epsilon()));
                b[c] = bn.beta()[c] - bn.mean()[c] * a[c];
            }
            int out = tensors;
            return add(x.shape(), Float.NaN, (env, batch) -> {
                float[] in = env[x.id()].floats();
                float[] y = new float[in.length];
                for (int i = 0; i < y.length; i++) {
                    int c = (i / plane) % channels;
                    y[i] = in[i] * a[c] + b[c];
                }
                env[out] = new Tensor(y, null, Float.NaN);
            });
        }

        @Override
        public boolean runsLevelSets() {
            // n-hot activation levels are integers too: the kernels only need the codes
            return true;
        }

        @Override
        public Value quantize(Value x, Quantizer.IntegerGrid grid) {
            int out = tensors;
            return add(x.shape(), grid.scale(), (env, batch) -> {
                float[] in = env[x.id()].floats();
                int[] codes = new int[in.length];
                for (int i = 0; i < codes.length; i++) {
                    codes[i] = grid.code(in[i]);
                }
                env[out] = new Tensor(null, codes, grid.scale());
            });
        }

        @Override
        public Value conv(Value x, LayerWeights weights, float[] bias, ConvGeometry g) {
            long[] in = x.shape();
            int stride = (int) g.stride()[0];
            int padding = (int) g.padding()[0];
            if (g.stride()[1] != stride || g.padding()[1] != padding || g.dilation()[0] != 1 || g.dilation()[1] != 1) {
                throw new UnsupportedOperationException("the integer engine runs square strides and paddings without dilation");
            }
            long oh = (in[1] + 2L * padding - g.kernel()[0]) / stride + 1;
            long ow = (in[2] + 2L * padding - g.kernel()[1]) / stride + 1;
            long[] shape = {weights.rows(), oh, ow};
            OptionalInt exponent = weights.integerExponent();
            int out = tensors;
            if (!Float.isNaN(x.scale()) && exponent.isPresent()) {
                ShiftAddKernel kernel = new ShiftAddKernel(weights.scaledCodebook(), weights.shape(), g.groups(), x.scale());
                kernels.add(kernel);
                return add(shape, Float.NaN, (env, batch) -> env[out] = new Tensor(
                        kernel.conv2d(env[x.id()].codes(), batchShape(batch, in), stride, padding, bias), null, Float.NaN));
            }
            FloatKernels.Conv conv = new FloatKernels.Conv(weights.floats(), weights.shape(), g.groups(), stride, padding, bias);
            return add(shape, Float.NaN, (env, batch) -> {
                env[out] = new Tensor(conv.run(env[x.id()].floats(), batchShape(batch, in)), null, Float.NaN);
                floatMacs += conv.lastMacs();
            });
        }

        @Override
        public Value linear(Value x, LayerWeights weights, float[] bias) {
            long[] shape = {weights.rows()};
            int features = x.perExample();
            int out = tensors;
            if (!Float.isNaN(x.scale()) && weights.integerExponent().isPresent()) {
                ShiftAddKernel kernel = new ShiftAddKernel(weights.scaledCodebook(), weights.shape(), 1, x.scale());
                kernels.add(kernel);
                return add(shape, Float.NaN, (env, batch) -> env[out] = new Tensor(
                        kernel.linear(env[x.id()].codes(), batch, bias), null, Float.NaN));
            }
            float[] w = weights.floats();
            int rows = weights.rows();
            return add(shape, Float.NaN, (env, batch) -> {
                float[] a = env[x.id()].floats();
                env[out] = new Tensor(FloatKernels.linear(a, batch, features, w, rows, bias), null, Float.NaN);
                floatMacs += (long) batch * features * rows;
            });
        }

        private long[] batchShape(int batch, long[] example) {
            long[] s = new long[example.length + 1];
            s[0] = batch;
            System.arraycopy(example, 0, s, 1, example.length);
            return s;
        }
    }

    /**
     * Returns the per-example input shape.
     *
     * @return the shape
     */
    public long[] inputShape() {
        return inputShape.clone();
    }
}
