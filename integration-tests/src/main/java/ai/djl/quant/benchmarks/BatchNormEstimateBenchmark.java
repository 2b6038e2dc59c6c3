package ai.djl.quant.benchmarks;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.quant.Quantization;
import ai.djl.quant.data.FashionMnistScenes;
import ai.djl.quant.nn.BlockTree;
import ai.djl.quant.nn.ParameterValues;
import ai.djl.quant.nn.QuantizedNetwork;
import ai.djl.quant.training.BatchNormRecalibration;
import ai.djl.quant.training.SequentialBatchNormRecalibration;
import ai.djl.quant.training.CocoEvaluator;
import ai.djl.quant.training.ForwardPasses;
import ai.djl.quant.zoo.ZooArtifacts;
import ai.djl.quant.zoo.ZooEvaluation;
import ai.djl.quant.zoo.ZooVariant;
import ai.djl.quant.zoo.detection.CenterNetTraining;
import java.util.Locale;
import java.util.Random;

/**
 * Why a quantized detector's BatchNorm statistics are re-estimated after fine-tuning, and how: the
 * zoo's fp32 CenterNet wrapped W8A8 (the zoo's uniform configuration), then, several times over,
 * <ol>
 *   <li>30 training-mode forwards on shuffled training scenes (what the last steps of a
 *       fine-tuning leave in the running statistics: DJL's exponential average, momentum 0.9);
 *   <li>{@link BatchNormRecalibration}: the plain average of 60 batches' statistics;
 *   <li>the same, with the stem BatchNorm's running means moved by ±2 % of a standard deviation
 *       (random signs): about how far two estimates from different batches differ;
 *   <li>{@link SequentialBatchNormRecalibration} from that state (20 batches per BatchNorm):
 *       statistics of each BatchNorm's inference-mode inputs, in order;
 * </ol>
 * each followed by mAP on the first 250 test scenes. No weight changes between rows: only the
 * statistics differ. About 5 minutes a round.
 *
 * <p>Arguments: {@code [rounds=3]}.
 */
public final class BatchNormEstimateBenchmark {

    private static final int EXPONENTIAL_BATCHES = 30;
    private static final int AVERAGED_BATCHES = 60;
    private static final int SEQUENTIAL_BATCHES = 20;
    private static final float STEM_SHIFT = 0.02f;

    private BatchNormEstimateBenchmark() {}

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        FashionMnistScenes train = FashionMnistScenes.builder().setSampling(32, true).optScenes(2_000).build();
        train.prepare(null);
        FashionMnistScenes test = ZooEvaluation.testScenes(250);
        ZooVariant base = new ZooVariant("centernet", "fp32", 32, 32, ZooVariant.FASHION_MNIST_SCENES);
        ZooVariant w8a8 = new ZooVariant("centernet", "uniform", 8, 8, ZooVariant.FASHION_MNIST_SCENES);
        try (Model model = Model.newInstance("centernet")) {
            Block block = ZooArtifacts.classpath().loadBlock(base, model.getNDManager())
                    .orElseThrow(() -> new IllegalStateException("no zoo CenterNet fp32 base in the jar"));
            System.out.println("| statistics | estimate s | mAP@[.5:.95] / mAP@.5 (250 test scenes) |");
            System.out.println("|---|---|---|");
            row("fp32 base", 0, block, model, test);
            QuantizedNetwork network = Quantization.wrap(block, w8a8.trainingConfig());
            Random random = new Random(7);
            NDManager manager = model.getNDManager();
            for (int round = 1; round <= rounds; round++) {
                String r = "W8A8, round " + round + ": ";
                long start = System.nanoTime();
                // training-mode forwards as a fine-tuning's last steps make them, with no update
                ForwardPasses.run(manager, train, EXPONENTIAL_BATCHES, (store, inputs) -> network.forward(store, inputs, true));
                row(r + "exponential average of " + EXPONENTIAL_BATCHES + " batches", start, network, model, test);
                start = System.nanoTime();
                BatchNormRecalibration.run(network, manager, train, AVERAGED_BATCHES);
                row(r + "average of " + AVERAGED_BATCHES + " batches", start, network, model, test);
                shiftFirstMeans(network, random);
                row(r + "the same, stem means moved by ±" + Math.round(100 * STEM_SHIFT) + " % σ", 0, network, model, test);
                start = System.nanoTime();
                SequentialBatchNormRecalibration.run(network, manager, train, SEQUENTIAL_BATCHES);
                row(r + "in order, inference mode, " + SEQUENTIAL_BATCHES + " batches per BatchNorm", start, network, model, test);
            }
        }
    }

    /** Moves the running means of the first BatchNorm (in tree order) by ±STEM_SHIFT of its running σ. */
    private static void shiftFirstMeans(Block block, Random random) {
        BatchNorm stem = BlockTree.find(block, BatchNorm.class).stream().findFirst()
                .orElseThrow(() -> new IllegalStateException("no BatchNorm in the model")).getValue();
        Parameter mean = stem.getParameters().get("runningMean");
        float[] m = mean.getArray().toFloatArray();
        float[] v = stem.getParameters().get("runningVar").getArray().toFloatArray();
        for (int c = 0; c < m.length; c++) {
            m[c] += (random.nextBoolean() ? 1 : -1) * STEM_SHIFT * (float) Math.sqrt(v[c]);
        }
        ParameterValues.overwrite(mean, m);
    }

    /** Prints a row; {@code start} is when the estimate began (0: no estimate), read before the evaluation. */
    private static void row(String what, long start, Block block, Model model, FashionMnistScenes test) throws Exception {
        String seconds = start == 0 ? "—" : String.format(Locale.ROOT, "%.0f", (System.nanoTime() - start) / 1e9);
        CocoEvaluator.Result r = CenterNetTraining.evaluate(block, model.getNDManager(), test, 10);
        System.out.printf(Locale.ROOT, "| %s | %s | %.4f / %.4f |%n", what, seconds, r.map(), r.map50());
    }
}
