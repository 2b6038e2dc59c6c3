package ai.djl.quant.benchmarks;

import ai.djl.Model;
import ai.djl.nn.Block;
import ai.djl.quant.Quantization;
import ai.djl.quant.QuantizationConfig;
import ai.djl.quant.data.FashionMnistDataset;
import ai.djl.quant.nn.QuantizedNetwork;
import ai.djl.quant.quantizers.Quantizer;
import ai.djl.quant.quantizers.ShiftQuantizer;
import ai.djl.quant.training.BatchNormRecalibration;
import ai.djl.quant.training.ClassifierEvaluation;
import ai.djl.quant.zoo.ZooArtifacts;
import ai.djl.quant.zoo.ZooVariant;
import java.util.List;
import java.util.Locale;

/**
 * Why the zoo's shift weights are uncentered: the zoo's fp32 bases wrapped with the shift quantizer
 * (weights only, s = 3, first and last layer float), once with the reference's per-channel
 * centering {@code 3σ0·Q((W-μ)/(3σ))} and once uncentered {@code 3ρ0·Q(W/(3ρ))}, each evaluated on
 * the full 10k test set at λ = 1 (no rounding: what fine-tuning starts from), at λ = 0 (hard,
 * post-training) and at λ = 0 after {@link BatchNormRecalibration} on 30 training batches. No
 * training: a few minutes.
 *
 * <p>Arguments: {@code [architectures=resnet18,mobilenetv2]}.
 */
public final class ShiftCenteringBenchmark {

    private static final int RECALIBRATION_BATCHES = 30;

    private ShiftCenteringBenchmark() {}

    public static void main(String[] args) throws Exception {
        List<String> archs = List.of((args.length > 0 ? args[0] : "resnet18,mobilenetv2").split(","));
        FashionMnistDataset train = FashionMnistDataset.trainingSet(128);
        FashionMnistDataset test = FashionMnistDataset.testSet(500);
        train.prepare(null);
        test.prepare(null);
        System.out.println("| model | weights | fp32 | λ = 1 | λ = 0 | λ = 0, BatchNorm re-estimated |");
        System.out.println("|---|---|---|---|---|---|");
        for (String arch : archs) {
            for (boolean centered : new boolean[] {true, false}) {
                ZooVariant base = new ZooVariant(arch, "fp32", 32, 32, ZooVariant.FASHION_MNIST);
                try (Model model = Model.newInstance(arch)) {
                    Block block = ZooArtifacts.classpath().loadBlock(base, model.getNDManager())
                            .orElseThrow(() -> new IllegalStateException(arch + ": no zoo fp32 base in the jar"));
                    double fp32 = ClassifierEvaluation.accuracy(block, model.getNDManager(), test);
                    QuantizedNetwork network = Quantization.wrap(block, QuantizationConfig.builder()
                            .setWeights(ShiftQuantizer.shiftSpec(3, centered)).optKeepFirstFloat(true).optKeepLastFloat(true).build());
                    double soft = ClassifierEvaluation.accuracy(network, model.getNDManager(), test);
                    setLambda(network, 0f);
                    double hard = ClassifierEvaluation.accuracy(network, model.getNDManager(), test);
                    BatchNormRecalibration.run(network, model.getNDManager(), train, RECALIBRATION_BATCHES);
                    double recalibrated = ClassifierEvaluation.accuracy(network, model.getNDManager(), test);
                    System.out.printf(Locale.ROOT, "| %s | shift s=3, %s | %.2f | %.2f | %.2f | %.2f |%n", arch,
                            centered ? "centered (reference)" : "uncentered", 100 * fp32, 100 * soft, 100 * hard, 100 * recalibrated);
                }
            }
        }
    }

    private static void setLambda(QuantizedNetwork network, float lambda) {
        for (Quantizer q : network.getQuantizers()) {
            if (q instanceof ShiftQuantizer shift) {
                shift.setLambda(lambda);
            }
        }
    }
}
