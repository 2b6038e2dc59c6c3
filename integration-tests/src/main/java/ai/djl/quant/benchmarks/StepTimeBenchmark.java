package ai.djl.quant.benchmarks;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.quant.Quantization;
import ai.djl.quant.QuantizationConfig;
import ai.djl.quant.nn.QuantizedLayer;
import ai.djl.quant.nn.QuantizedNetwork;
import ai.djl.quant.quantizers.LsqQuantizer;
import ai.djl.quant.quantizers.QuantizerSpec;
import ai.djl.quant.quantizers.ShiftQuantizer;
import ai.djl.quant.training.ClassifierTraining;
import ai.djl.quant.training.QuantizationOptimizer;
import ai.djl.quant.zoo.cv.ResNet18;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Training-step time of a wrapped ResNet18 (3×3 stride-2 stem, 28×28 input) divided by the fp32
 * step time, measured in one run on this machine: forward, backward and SGD update on one fixed
 * batch, after warm-up. fp32 is measured before and after the quantized models, and the ratio uses
 * the faster of the two, so a machine getting busier cannot make quantization look cheap.
 *
 * <p>Arguments: {@code [batch=64] [stemStride=2] [warmup=5] [steps=15]}.
 */
public final class StepTimeBenchmark {

    private StepTimeBenchmark() {}

    public static void main(String[] args) {
        int batch = args.length > 0 ? Integer.parseInt(args[0]) : 64;
        int stemStride = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int warmup = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        int steps = args.length > 3 ? Integer.parseInt(args[3]) : 15;
        Shape input = new Shape(batch, 1, 28, 28);
        System.out.printf(Locale.ROOT, "ResNet18 (stride-%d stem), batch %d, %d warm-up + %d timed steps, %d threads%n",
                stemStride, batch, warmup, steps, Runtime.getRuntime().availableProcessors());

        ResNet18.Builder net = ResNet18.builder().optStemStride(stemStride);
        double fp32First = fp32(net, input, warmup, steps);
        String[] names = {"LSQ W4A4", "shift s=2 W+A", "shift s=2 W only"};
        QuantizerSpec[][] specs = {
            {LsqQuantizer.spec(4), LsqQuantizer.spec(4)},
            {ShiftQuantizer.shiftSpec(2), ShiftQuantizer.shiftSpec(2)},
            {ShiftQuantizer.shiftSpec(2), null},
        };
        double[] times = new double[names.length];
        double[] pass = new double[1];
        for (int i = 0; i < names.length; i++) {
            times[i] = quantized(net, input, specs[i][0], specs[i][1], warmup, steps, i == 0 ? pass : null);
        }
        double fp32Second = fp32(net, input, warmup, steps);
        double fp32 = Math.min(fp32First, fp32Second);
        System.out.printf(Locale.ROOT, "%-20s %10s %8s%n", "model", "ms/step", "ratio");
        System.out.printf(Locale.ROOT, "%-20s %10.1f %8.3f   (runs: %.1f, %.1f ms)%n", "fp32", 1000 * fp32, 1.0, 1000 * fp32First, 1000 * fp32Second);
        for (int i = 0; i < names.length; i++) {
            System.out.printf(Locale.ROOT, "%-20s %10.1f %8.3f%n", names[i], 1000 * times[i], times[i] / fp32);
        }
        // what the 1.15 target leaves for fake quantization, in passes over the quantized weights
        double budget = 0.15 * fp32;
        System.out.printf(Locale.ROOT,
                "one pass over the quantized layers' weights (read, write a new tensor): %.1f ms;"
                        + " the 1.15 budget, %.1f ms, is %.1f such passes per step%n",
                1000 * pass[0], 1000 * budget, budget / pass[0]);
    }

    /**
     * Times one out-of-place element-wise operation over every quantized layer's weights: the unit
     * of memory traffic that re-quantizing the weights each step costs several of.
     */
    private static double weightPassSeconds(QuantizedNetwork network) {
        List<NDArray> weights = new ArrayList<>();
        for (QuantizedLayer layer : network.getQuantizedLayers()) {
            weights.add(layer.getWeight().getArray());
        }
        double best = Double.MAX_VALUE;
        for (int round = 0; round < 5; round++) {
            long start = System.nanoTime();
            for (NDArray w : weights) {
                try (NDManager scope = w.getManager().newSubManager()) {
                    scope.tempAttachAll(w);
                    w.mul(1.0001f);
                }
            }
            best = Math.min(best, (System.nanoTime() - start) / 1e9);
        }
        return best;
    }

    private static Optimizer sgd() {
        return Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.01f)).optMomentum(0.9f).build();
    }

    private static double fp32(ResNet18.Builder net, Shape input, int warmup, int steps) {
        try (Model model = Model.newInstance("resnet18")) {
            model.setBlock(net.build());
            return ClassifierTraining.stepSeconds(model, sgd(), input, 10, warmup, steps);
        }
    }

    private static double quantized(
            ResNet18.Builder net, Shape input, QuantizerSpec weights, QuantizerSpec activations, int warmup, int steps, double[] pass) {
        try (Model model = Model.newInstance("resnet18")) {
            model.setBlock(net.build());
            model.getBlock().initialize(model.getNDManager(), ai.djl.ndarray.types.DataType.FLOAT32, input);
            QuantizationConfig config =
                    QuantizationConfig.builder()
                            .setWeights(weights)
                            .optActivations(activations)
                            .optKeepFirstFloat(true)
                            .optKeepLastFloat(true)
                            .build();
            QuantizedNetwork qnet = Quantization.wrap(model.getBlock(), config);
            model.setBlock(qnet);
            Optimizer optimizer = QuantizationOptimizer.of(qnet, sgd(), Tracker.fixed(0.01f));
            double seconds = ClassifierTraining.stepSeconds(model, optimizer, input, 10, warmup, steps);
            if (pass != null) {
                pass[0] = weightPassSeconds(qnet);
            }
            return seconds;
        }
    }
}
