package ai.djl.quant.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.quant.nn.BlockTree;
import ai.djl.quant.nn.GraphConstants;
import ai.djl.quant.nn.ParameterValues;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.Dataset;
import ai.djl.training.util.ProgressBar;
import ai.djl.translate.TranslateException;
import ai.djl.util.PairList;
import java.io.IOException;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Sets every BatchNorm's running statistics to the mean and variance of the inputs it receives in
 * inference mode, one BatchNorm at a time in tree order: for BatchNorm {@code k}, {@code μ_k =
 * E[x_k]} and {@code σ²_k = Var[x_k]} over {@code batches} batches, where {@code x_k} is its input
 * when every BatchNorm before it already normalises with its new statistics.
 *
 * <p>Why not the batch statistics of training-mode forwards ({@link BatchNormRecalibration}):
 * there every BatchNorm normalises with its batch's statistics, in inference with running ones, so
 * each layer's running statistics describe inputs it never gets once the model is deployed. In a
 * float model the difference is noise. In a quantization-aware model it need not be: on the zoo's
 * W8A8 CenterNet, moving the stem BatchNorm's running means by 2 % of a standard deviation (about
 * how much two estimates from different batches differ) cost 31 and 35 points of mAP@[.5:.95] in
 * two rounds of {@code BatchNormEstimateBenchmark}, and this estimate brought both back to 0.59–0.60.
 * The activation quantizers round near-constant channels differently after such a shift, and some
 * BatchNorms after them have variances near zero, which turns small offsets into large ones.
 * Estimated in order, each BatchNorm is fitted to the inputs its predecessors' final statistics
 * produce, offsets included. On the same fine-tuned weights the zoo's W8A8 CenterNet scored 0.5751
 * with the average of 100 batches and 0.6159 with this (fp32: 0.6196).
 *
 * <p>Cost: one pass over {@code batches} batches per BatchNorm, each stopped right after that
 * BatchNorm, so about half the network's inference cost times the number of BatchNorms.
 *
 * <p>Requirements: BatchNorms computed in tree order (true for {@code SequentialBlock} and {@code
 * ParallelBlock} trees) and reached through their parents' children (a parent that calls one
 * through a field is refused up front, with its path). Quantizers should be calibrated already (by
 * training, or by {@link BatchNormRecalibration#run}): one that is not calibrates on the first
 * inference-mode tensor it sees here. Switch a model that ships in deploy mode to it first ({@code
 * QuantizedNetwork.setDeployMode(true)}): the training path computes the same levels up to float
 * rounding, yet on the zoo's CenterNets the same 60 batches per BatchNorm estimated through the
 * training path scored 0.6193 (W8A8) and 0.6147 (n-hot), through deploy mode 0.6205 and 0.6134:
 * the statistics should fit the arithmetic the model will run.
 */
public final class SequentialBatchNormRecalibration {

    private SequentialBatchNormRecalibration() {}

    /**
     * Re-estimates every BatchNorm's running statistics from its inference-mode inputs, in order.
     *
     * @param block the model (its BatchNorms anywhere in the tree); restored unchanged but for the
     *     running statistics, also when this fails
     * @param manager the manager of the model's parameters
     * @param data the data (training data: the test set must stay unseen)
     * @param batches how many batches per BatchNorm, at least 1 (fewer if the data runs out)
     * @return the number of BatchNorms re-estimated
     * @throws IOException when the data cannot be read
     * @throws TranslateException when a batch cannot be produced
     * @throws IllegalArgumentException when {@code batches < 1} or the data set is empty
     * @throws UnsupportedOperationException when a BatchNorm is called through a field of its parent
     * @throws IllegalStateException when a BatchNorm never receives an input
     */
    public static int run(Block block, NDManager manager, Dataset data, int batches) throws IOException, TranslateException {
        List<InputStatistics> norms = BlockTree.find(block, BatchNorm.class).stream()
                .map(n -> new InputStatistics(n.getKey(), n.getValue())).toList();
        Map<Block, String> paths = new IdentityHashMap<>();
        norms.forEach(n -> paths.put(n.norm, n.path));
        try {
            BlockTree.checkRewritable(block, paths);
        } catch (UnsupportedOperationException e) {
            throw new UnsupportedOperationException("Sequential BatchNorm re-estimation swaps every BatchNorm for a recorder. "
                    + e.getMessage() + " Or use BatchNormRecalibration.run, which needs no swap.", e);
        }
        norms.forEach(n -> BlockTree.replace(block, n.path, n));
        try {
            ProgressBar progress = new ProgressBar("BatchNorms", norms.size());
            for (int k = 0; k < norms.size(); k++) {
                estimate(block, manager, data, batches, norms.get(k));
                progress.update(k + 1);
            }
        } finally {
            norms.forEach(n -> BlockTree.replace(block, n.path, n.norm));
        }
        return norms.size();
    }

    private static void estimate(Block block, NDManager manager, Dataset data, int batches, InputStatistics target)
            throws IOException, TranslateException {
        target.recording = true;
        try {
            ForwardPasses.run(manager, data, batches, (store, inputs) -> {
                try {
                    block.forward(store, inputs, false);
                } catch (RuntimeException e) {
                    if (!(rootCause(e) instanceof Recorded)) {
                        throw e;
                    }
                }
            });
        } finally {
            target.recording = false;
        }
        target.store();
    }

    private static Throwable rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }

    /** Ends a forward pass once the BatchNorm being estimated has seen its input. */
    private static final class Recorded extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Recorded() {
            super("recorded", null, false, false);
        }
    }

    /**
     * Stands in for one BatchNorm: normalises in inference mode, and while recording pools the
     * mean and variance of its input per channel (Chan's parallel update, in double precision).
     */
    private static final class InputStatistics extends AbstractBlock {
        final String path;
        final BatchNorm norm;
        private final int axis;
        boolean recording;
        private long count;
        private double[] mean;
        private double[] squares;

        InputStatistics(String path, BatchNorm norm) {
            this.path = path;
            this.norm = norm;
            this.axis = BatchNormFields.axis(norm, BlockTree.displayPath(path));
        }

        @Override
        protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
            if (!recording) {
                return norm.forward(store, inputs, false, params);
            }
            NDArray x = inputs.head();
            int channelAxis = axis < 0 ? axis + x.getShape().dimension() : axis;
            int[] others = IntStream.range(0, x.getShape().dimension()).filter(d -> d != channelAxis).toArray();
            long n = x.size() / x.getShape().get(channelAxis);
            NDArray batchMean = GraphConstants.div(x.sum(others, true), n);
            float[] m = batchMean.toFloatArray();
            float[] m2 = x.sub(batchMean).square().sum(others).toFloatArray();
            if (mean == null) {
                mean = new double[m.length];
                squares = new double[m.length];
            }
            double total = count + n;
            for (int c = 0; c < m.length; c++) {
                double delta = m[c] - mean[c];
                mean[c] += delta * n / total;
                squares[c] += m2[c] + delta * delta * count * n / total;
            }
            count += n;
            throw new Recorded();
        }

        void store() {
            if (count < 2) {
                throw new IllegalStateException("BatchNorm " + BlockTree.displayPath(path) + " received no input in inference mode:"
                        + " its parent does not call it through getChildren(); use BatchNormRecalibration.run");
            }
            float[] m = new float[mean.length];
            float[] v = new float[mean.length];
            for (int c = 0; c < m.length; c++) {
                m[c] = (float) mean[c];
                v[c] = (float) (squares[c] / (count - 1));
            }
            ParameterValues.overwrite(norm.getParameters().get("runningMean"), m);
            ParameterValues.overwrite(norm.getParameters().get("runningVar"), v);
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return norm.getOutputShapes(inputShapes);
        }
    }
}
