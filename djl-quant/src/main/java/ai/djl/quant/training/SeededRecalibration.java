package ai.djl.quant.training;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.quant.data.EpochChunks;
import ai.djl.quant.data.SeededShuffle;
import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.translate.TranslateException;
import java.io.IOException;

/**
 * A reproducible {@link SequentialBatchNormRecalibration}: BatchNorm {@code k} (in tree order)
 * reads its {@code batches} batches from the pool in the order {@link SeededShuffle}{@code (seed,
 * k)}, whatever ran before. So every {@link #run} with one seed draws the same batches — on any
 * model, in a build resumed after a crash as in an uninterrupted one — and estimates with
 * different seeds differ only by their draw, which is how a benchmark measures what the draw is
 * worth.
 */
public final class SeededRecalibration {

    private final EpochChunks draws;
    private final int batches;
    private final long seed;

    private SeededRecalibration(Builder builder) {
        // one chunk: the whole pool; each BatchNorm's pass over it is one "epoch" of the seeded order
        draws = EpochChunks.builder().setPool(builder.pool, 1).setSampling(builder.batchSize, true).optSeed(builder.seed).build();
        batches = builder.batches;
        seed = builder.seed;
    }

    /**
     * Creates a builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Re-estimates every BatchNorm's running statistics of {@code block} from this recalibration's
     * batches ({@link SequentialBatchNormRecalibration#run}).
     *
     * @param block the model
     * @param manager the manager of the model's parameters
     * @return the number of BatchNorms re-estimated
     * @throws IOException when the pool cannot be read
     * @throws TranslateException when a batch cannot be produced
     */
    public int run(Block block, NDManager manager) throws IOException, TranslateException {
        draws.startAt(0);
        return SequentialBatchNormRecalibration.run(block, manager, draws, batches);
    }

    /**
     * Returns the batches per BatchNorm.
     *
     * @return the batches each BatchNorm's statistics come from
     */
    public int getBatches() {
        return batches;
    }

    /**
     * Returns the seed of the draws, for describing the estimate (a model card).
     *
     * @return the seed
     */
    public long getSeed() {
        return seed;
    }

    /** The builder of {@link SeededRecalibration}: the pool and the batches, then the seed. */
    public static final class Builder {

        private RandomAccessDataset pool;
        private int batchSize;
        private int batches;
        private long seed;

        Builder() {}

        /**
         * Sets the examples the batches are drawn from and the batch size (required).
         *
         * @param pool training examples (the test set must stay unseen), prepared
         * @param batchSize examples per batch, at least 1
         * @return this builder
         */
        public Builder setPool(RandomAccessDataset pool, int batchSize) {
            this.pool = pool;
            this.batchSize = batchSize;
            return this;
        }

        /**
         * Sets the batches per BatchNorm (required).
         *
         * @param batches at least 1 (fewer if the pool runs out)
         * @return this builder
         */
        public Builder setBatches(int batches) {
            this.batches = batches;
            return this;
        }

        /**
         * Sets the seed of the draw (default 0).
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Builds the recalibration.
         *
         * @return the recalibration
         * @throws IllegalArgumentException when the pool is missing or empty, or the batch size or
         *     the batches are below 1
         */
        public SeededRecalibration build() {
            if (pool == null || pool.size() == 0) {
                throw new IllegalArgumentException("a seeded recalibration needs a non-empty pool of training examples: call setPool");
            }
            if (batchSize < 1 || batches < 1) {
                throw new IllegalArgumentException("batch size and batches per BatchNorm must be at least 1, got " + batchSize + " and "
                        + batches + ": call setPool and setBatches");
            }
            return new SeededRecalibration(this);
        }
    }
}
