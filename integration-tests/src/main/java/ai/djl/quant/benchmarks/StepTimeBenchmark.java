package ai.djl.quant.benchmarks;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.quant.Quantization;
import ai.djl.quant.QuantizationConfig;
import ai.djl.quant.nn.QuantizedNetwork;
import ai.djl.quant.quantizers.LsqQuantizer;
import ai.djl.quant.quantizers.Quantizer;
import ai.djl.quant.quantizers.QuantizerSpec;
import ai.djl.quant.quantizers.ShiftQuantizer;
import ai.djl.quant.training.QuantizationOptimizer;
import ai.djl.quant.training.StepTimer;
import ai.djl.quant.training.StepTimes;
import ai.djl.quant.zoo.cv.ResNet18;
import ai.djl.training.ParameterStore;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Training-step time of a wrapped ResNet18 (3×3 stride-2 stem, 28×28 input) divided by the fp32
 * step time, measured in one run on this machine: forward, backward and SGD update on random
 * batches, every model taking turns ({@link StepTimer}: rounds of a few steps each, medians), so
 * that a machine getting busier or quieter slows every model alike. Stem and classifier stay float.
 * Two ratios are printed: the ratio of the medians, and the paired ratio, the median over a
 * model's turns of its step over fp32's interpolated to the turn's time between fp32's turns
 * before and after it ({@link StepTimes#pairedRatio}), which also cancels a drift of the machine's
 * speed during the run.
 *
 * <p>Besides LSQ and the shift quantizer it times a floor: a learned scale and nothing else
 * ({@code y = s·x}, {@link ScaleOnly}), what any learned-step fake quantizer costs at least; the
 * gap between the floor and LSQ is the price of rounding, clipping and their masks as PyTorch
 * operations. The second floor is the shift quantizer's own: its weights, and on the
 * activations the affine-free BatchNorm the method inserts and nothing else ({@link NormOnly}),
 * what shift W+A costs at least. The rows "…, no native op" are the same models without the project's native
 * operators ({@code -Ddjl.quant.native=false}, the PyTorch-operation chains): what they save. The
 * last row keeps PyTorch's fused per-tensor kernel for LSQ's activations ({@code
 * -Ddjl.quant.nativePerTensor=false}), what the native chain saves there.
 *
 * <p>Arguments: {@code [batch=64] [stemStride=2] [rounds=8] [stepsPerRound=4] [rows=all]}, rows
 * as 0-based indexes of the table, comma-separated (fp32, row 0, always runs): {@code 128 1 2 3
 * 1,2} times the anchors' configuration (stride-1 stem, batch 128) for LSQ W4A4 only.
 */
public final class StepTimeBenchmark {

    /** The table's rows, in order; row 0 (fp32) is every ratio's denominator. */
    static final String[] NAMES = {"fp32", "LSQ W4A4", "LSQ W4A4, no native op", "LSQ W4 only", "shift s=2 W+A", "shift s=2 W only",
        "floor: y = s·x, W+A", "floor: y = s·x, W only", "shift s=2 W only, no native op",
        "shift s=2 W+A, no native op", "floor: shift s=2 W, A = BN(x)", "LSQ W4A4, PyTorch per-tensor"};

    private StepTimeBenchmark() {}

    public static void main(String[] args) {
        int batch = args.length > 0 ? Integer.parseInt(args[0]) : 64;
        int stemStride = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 8;
        int stepsPerRound = args.length > 3 ? Integer.parseInt(args[3]) : 4;
        Shape input = new Shape(batch, 1, 28, 28);
        System.out.printf(Locale.ROOT, "ResNet18 (stride-%d stem), batch %d, %d rounds of %d steps per model (first round and first step"
                + " of each turn untimed), %d threads%n", stemStride, batch, rounds + 1, stepsPerRound, Runtime.getRuntime().availableProcessors());

        List<Model> models = new ArrayList<>();
        try (StepTimer timer = new StepTimer(input, 10)) {
            addRows(timer, models, BenchmarkSupport.rows(args, 4, NAMES.length), stemStride, input);
            StepTimes times = timer.time(1, rounds, stepsPerRound);
            Map<String, Double> seconds = times.medianSeconds();
            double fp32 = seconds.get("fp32");
            System.out.printf(Locale.ROOT, "%-30s %10s %8s %8s%n", "model", "ms/step", "ratio", "paired");
            seconds.forEach((name, s) -> System.out.printf(Locale.ROOT, "%-30s %10.1f %8.3f %8.3f%n", name, 1000 * s, s / fp32,
                    times.pairedRatio(name, "fp32")));
        } finally {
            models.forEach(Model::close);
        }
    }

    /**
     * A quantizer that keeps one part of a real one's cost and drops the rounding: a lower bound on
     * that quantizer's step time. The same value in training and in hard mode; nothing to calibrate.
     */
    abstract static class Floor extends Quantizer {

        private final String name;

        Floor(Builder builder) {
            super(builder);
            name = builder.name;
        }

        static QuantizerSpec spec(String name, boolean signedActivations, Function<Builder, Floor> make) {
            return QuantizerSpec.of(name, 8, (role, bits) -> {
                Builder builder = new Builder(name, make).setBits(bits).optRole(role);
                return (signedActivations ? builder.optSigned(true) : builder).build();
            });
        }

        @Override
        protected void calibrate(NDArray x) {
            // nothing data-dependent to start from
        }

        @Override
        protected NDArray quantizeHard(ParameterStore parameterStore, NDArray x) {
            return quantizeDifferentiable(parameterStore, x, false);
        }

        @Override
        public int numLevels() {
            return 1 << bits;
        }

        @Override
        protected String methodName() {
            return name;
        }

        static final class Builder extends BaseBuilder<Builder> {

            private final String name;
            private final Function<Builder, Floor> make;

            Builder(String name, Function<Builder, Floor> make) {
                this.name = name;
                this.make = make;
            }

            @Override
            protected Builder self() {
                return this;
            }

            @Override
            public Floor build() {
                return make.apply(this);
            }
        }
    }

    /**
     * The least a learned-scale fake quantizer costs: {@code y = s·x} with a learned per-channel
     * (weights) or per-tensor (activations) scale and no rounding, so one multiply forward and two
     * backward ({@code dL/dx = s·g}, {@code dL/ds = Σ x·g}). LSQ adds rounding, clipping and the
     * masks to this, so its step time is bounded below by this one's. The scale starts at 1.
     */
    static final class ScaleOnly extends Floor {

        private final Parameter scale;

        ScaleOnly(Builder builder) {
            super(builder);
            scale = addScaleParameter("scale", true);
        }

        static QuantizerSpec spec() {
            return Floor.spec("scale-only", false, ScaleOnly::new);
        }

        @Override
        protected NDArray quantizeDifferentiable(ParameterStore parameterStore, NDArray x, boolean training) {
            return x.mul(parameterStore.getValue(scale, x.getDevice(), training));
        }
    }

    /**
     * The shift quantizer's activation path without its rounding: {@code y = BN(x)}, the
     * affine-free BatchNorm (batch statistics in training) that {@link ShiftQuantizer} puts before
     * its levels, so one normalisation forward and its backward.
     */
    static final class NormOnly extends Floor {

        private final BatchNorm norm;

        NormOnly(Builder builder) {
            super(builder);
            norm = addChildBlock("norm", BatchNorm.builder().optCenter(false).optScale(false).build());
        }

        static QuantizerSpec spec() {
            return Floor.spec("norm-only", true, NormOnly::new);
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            norm.initialize(manager, dataType, inputShapes);
        }

        @Override
        protected NDArray quantizeDifferentiable(ParameterStore parameterStore, NDArray x, boolean training) {
            return norm.forward(parameterStore, new NDList(x), training).head();
        }
    }

    /**
     * Builds the ResNet18 of each row, wraps it with the row's quantizers and adds it to {@code
     * timer} under the row's name, with the row's native-operator settings applied before each of
     * its turns.
     *
     * @param timer the timer
     * @param models receives the models, for the caller to close
     * @param rows the rows, indexes of {@link #NAMES}
     * @param stemStride the stem's stride
     * @param input the batch shape
     */
    static void addRows(StepTimer timer, List<Model> models, Set<Integer> rows, int stemStride, Shape input) {
        ResNet18.Builder net = ResNet18.builder().optStemStride(stemStride);
        QuantizerSpec[][] specs = {
            null,
            {LsqQuantizer.spec(4), LsqQuantizer.spec(4)},
            {LsqQuantizer.spec(4), LsqQuantizer.spec(4)},
            {LsqQuantizer.spec(4), null},
            {ShiftQuantizer.shiftSpec(2), ShiftQuantizer.shiftSpec(2)},
            {ShiftQuantizer.shiftSpec(2), null},
            {ScaleOnly.spec(), ScaleOnly.spec()},
            {ScaleOnly.spec(), null},
            {ShiftQuantizer.shiftSpec(2), null},
            {ShiftQuantizer.shiftSpec(2), ShiftQuantizer.shiftSpec(2)},
            {ShiftQuantizer.shiftSpec(2), NormOnly.spec()},
            {LsqQuantizer.spec(4), LsqQuantizer.spec(4)},
        };
        for (int i : rows) {
            Model model = Model.newInstance("resnet18");
            models.add(model);
            model.setBlock(net.build());
            Optimizer optimizer = sgd();
            if (specs[i] != null) {
                model.getBlock().initialize(model.getNDManager(), DataType.FLOAT32, input);
                QuantizationConfig config = QuantizationConfig.builder().setWeights(specs[i][0]).optActivations(specs[i][1])
                        .optKeepFirstFloat(true).optKeepLastFloat(true).build();
                QuantizedNetwork qnet = Quantization.wrap(model.getBlock(), config);
                model.setBlock(qnet);
                optimizer = QuantizationOptimizer.of(qnet, sgd(), Tracker.fixed(0.01f));
            }
            // the native operators on for all but the rows named so (-Ddjl.quant.native)
            String nativeOp = Boolean.toString(!NAMES[i].endsWith("no native op"));
            String nativeActs = Boolean.toString(!NAMES[i].endsWith("PyTorch per-tensor"));
            timer.add(NAMES[i], model, optimizer, () -> {
                System.setProperty("djl.quant.native", nativeOp);
                System.setProperty("djl.quant.nativePerTensor", nativeActs);
            });
        }
    }

    private static Optimizer sgd() {
        return Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.01f)).optMomentum(0.9f).build();
    }
}
