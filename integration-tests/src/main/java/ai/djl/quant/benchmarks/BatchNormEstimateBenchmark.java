package ai.djl.quant.benchmarks;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.quant.Quantization;
import ai.djl.quant.data.FashionMnistScenes;
import ai.djl.quant.nn.QuantizedNetwork;
import ai.djl.quant.training.BatchNormRecalibration;
import ai.djl.quant.training.CocoEvaluator;
import ai.djl.quant.zoo.ZooArtifacts;
import ai.djl.quant.zoo.ZooVariant;
import ai.djl.quant.zoo.detection.CenterNetTraining;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.Dataset;
import java.util.Locale;

/**
 * Why a quantized detector's BatchNorm statistics are re-estimated after fine-tuning: the zoo's
 * fp32 CenterNet wrapped W8A8 (the zoo's uniform configuration), then, several times over, 30
 * training-mode forwards on shuffled training scenes (what the last steps of a fine-tuning leave
 * in the running statistics: DJL's exponential average, momentum 0.9) and then {@link
 * BatchNormRecalibration} (the plain average over 60 batches), each followed by mAP on the first
 * 250 test scenes. No weight changes between rows: only the statistics differ. About 30 s a round.
 *
 * <p>Arguments: {@code [rounds=4]}.
 */
public final class BatchNormEstimateBenchmark {

    private static final int EXPONENTIAL_BATCHES = 30;
    private static final int AVERAGED_BATCHES = 60;

    private BatchNormEstimateBenchmark() {}

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 4;
        FashionMnistScenes train = FashionMnistScenes.builder().setSampling(32, true).optScenes(2_000).build();
        FashionMnistScenes test = FashionMnistScenes.builder().setSampling(32, false).optUsage(Dataset.Usage.TEST).optScenes(250).build();
        train.prepare(null);
        test.prepare(null);
        ZooVariant base = new ZooVariant("centernet", "fp32", 32, 32, ZooVariant.FASHION_MNIST_SCENES);
        ZooVariant w8a8 = new ZooVariant("centernet", "uniform", 8, 8, ZooVariant.FASHION_MNIST_SCENES);
        try (Model model = Model.newInstance("centernet")) {
            Block block = ZooArtifacts.classpath().loadBlock(base, model.getNDManager())
                    .orElseThrow(() -> new IllegalStateException("no zoo CenterNet fp32 base in the jar"));
            System.out.println("| statistics | mAP@[.5:.95] / mAP@.5 (250 test scenes) |");
            System.out.println("|---|---|");
            row("fp32 base", block, model, test);
            QuantizedNetwork network = Quantization.wrap(block, w8a8.trainingConfig());
            for (int round = 1; round <= rounds; round++) {
                trainingForwards(network, model.getNDManager(), train, EXPONENTIAL_BATCHES);
                row("W8A8, round " + round + ": exponential average of " + EXPONENTIAL_BATCHES + " batches", network, model, test);
                BatchNormRecalibration.run(network, model.getNDManager(), train, AVERAGED_BATCHES);
                row("W8A8, round " + round + ": average of " + AVERAGED_BATCHES + " batches", network, model, test);
            }
        }
    }

    /** Training-mode forwards as a fine-tuning's last steps make them, with no update. */
    private static void trainingForwards(Block block, NDManager manager, Dataset data, int batches) throws Exception {
        int used = 0;
        try (NDManager scope = manager.newSubManager()) {
            ParameterStore store = new ParameterStore(scope, false);
            for (Batch batch : data.getData(scope)) {
                try (batch) {
                    block.forward(store, batch.getData(), true);
                }
                if (++used == batches) {
                    return;
                }
            }
        }
    }

    private static void row(String what, Block block, Model model, FashionMnistScenes test) throws Exception {
        CocoEvaluator.Result r = CenterNetTraining.evaluate(block, model.getNDManager(), test, 10);
        System.out.printf(Locale.ROOT, "| %s | %.4f / %.4f |%n", what, r.map(), r.map50());
    }
}
