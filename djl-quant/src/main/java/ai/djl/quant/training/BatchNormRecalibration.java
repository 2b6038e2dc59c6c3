package ai.djl.quant.training;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.quant.nn.BlockTree;
import ai.djl.quant.nn.ParameterValues;
import ai.djl.training.dataset.Dataset;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.util.List;

/**
 * Re-estimates the running statistics of every BatchNorm of a model from training batches, as
 * the plain average of the batches' statistics: {@code μ = (1/N)·Σ mean_i}, {@code σ² = (1/N)·Σ
 * var_i} (PyTorch's {@code update_bn}, a cumulative average), where training itself leaves an
 * exponential average, {@code running ← m·running + (1-m)·batch} with DJL's m = 0.9, that is
 * mostly the last ten batches.
 *
 * <p>Needed after weights change without the statistics following (post-training quantization:
 * levels systematically larger than the float weights shift every channel), and at the end of a
 * quantization-aware fine-tuning. There it narrows but does not remove a fragility: on a W8A8
 * wrapped MobileNetV2 CenterNet the same weights scored 0.30 to 0.60 mAP with the exponential
 * average of 30 batches and 0.48 to 0.60 with the average of 60 ({@code BatchNormEstimateBenchmark}),
 * because every layer's statistics here describe its training-mode inputs, not the ones it gets in
 * inference. {@link SequentialBatchNormRecalibration} estimates them in inference mode, layer by
 * layer, and removes that mismatch (at 5–8 times the time on that model: 135–211 s against 22–27 s
 * for the average of 60 batches in that benchmark).
 *
 * <p>The passes run in training mode without gradients: they also calibrate quantizers that have
 * not been calibrated yet, and update nothing else.
 */
public final class BatchNormRecalibration {

    private BatchNormRecalibration() {}

    /**
     * Sets every BatchNorm's running mean and variance to the average of their batch values over
     * {@code batches} batches of {@code data}.
     *
     * @param block the model (its BatchNorms anywhere in the tree)
     * @param manager the manager of the model's parameters
     * @param data the data (training data: the test set must stay unseen)
     * @param batches how many batches, at least 1 (fewer if the data runs out)
     * @return the number of batches used
     * @throws IOException when the data cannot be read
     * @throws TranslateException when a batch cannot be produced
     * @throws IllegalArgumentException when {@code batches < 1} or the data set is empty
     */
    public static int run(Block block, NDManager manager, Dataset data, int batches) throws IOException, TranslateException {
        List<Statistics> norms = BlockTree.find(block, BatchNorm.class).stream()
                .map(n -> new Statistics(BlockTree.displayPath(n.getKey()), n.getValue())).toList();
        // from zero, one update leaves exactly (1-m)·batch statistics
        int used = ForwardPasses.run(manager, data, batches, (store, inputs) -> {
            norms.forEach(Statistics::clear);
            block.forward(store, inputs, true);
            norms.forEach(Statistics::accumulate);
        });
        for (Statistics s : norms) {
            s.store(used);
        }
        return used;
    }

    /** One BatchNorm's running parameters and the sums of its batch statistics. */
    private static final class Statistics {
        private final Parameter mean;
        private final Parameter variance;
        private final float update;
        private final double[] meanSum;
        private final double[] varianceSum;

        Statistics(String path, BatchNorm norm) {
            mean = norm.getParameters().get("runningMean");
            variance = norm.getParameters().get("runningVar");
            if (mean == null || variance == null || !mean.isInitialized()) {
                throw new IllegalArgumentException("BatchNorm " + path + " has no initialized running statistics: initialize the model first");
            }
            update = 1 - BatchNormFields.momentum(norm, path);
            if (update <= 0) {
                throw new IllegalArgumentException("BatchNorm " + path + " has momentum 1: its running statistics never change");
            }
            meanSum = new double[Math.toIntExact(mean.getArray().size())];
            varianceSum = new double[meanSum.length];
        }

        void clear() {
            ParameterValues.overwrite(mean, new float[meanSum.length]);
            ParameterValues.overwrite(variance, new float[meanSum.length]);
        }

        void accumulate() {
            add(meanSum, mean.getArray().toFloatArray());
            add(varianceSum, variance.getArray().toFloatArray());
        }

        private void add(double[] sum, float[] updated) {
            for (int c = 0; c < sum.length; c++) {
                sum[c] += updated[c] / update;
            }
        }

        void store(int batches) {
            ParameterValues.overwrite(mean, average(meanSum, batches));
            ParameterValues.overwrite(variance, average(varianceSum, batches));
        }

        private static float[] average(double[] sum, int batches) {
            float[] out = new float[sum.length];
            for (int c = 0; c < out.length; c++) {
                out[c] = (float) (sum[c] / batches);
            }
            return out;
        }
    }
}
