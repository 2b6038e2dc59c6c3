package ai.djl.quant.data;

import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.BatchSampler;
import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.training.dataset.Record;
import ai.djl.training.dataset.Sampler;
import ai.djl.translate.TranslateException;
import ai.djl.util.Progress;
import java.io.IOException;
import java.util.concurrent.ExecutorService;

/**
 * A training set whose epochs are the chunks of a larger pool, taken in turn: epoch {@code e}
 * (from 0) reads the pool's examples {@code [c·n, (c+1)·n)} with {@code c = e mod k} and {@code n =
 * ⌊size/k⌋}, so {@code k} epochs make one pass over the pool. Training for {@code k·E} such epochs
 * sees the same examples as {@code E} passes, but an epoch, and so a checkpoint, comes {@code k}
 * times as often: a detector whose pass takes most of an hour loses minutes, not the pass, when
 * it is killed.
 *
 * <p>Every {@code getData} call starts the next epoch: give the set to one training loop only, and
 * call {@link #startAt} with the epochs already done when resuming. With {@link Builder#optSeed}
 * epoch {@code e} reads its chunk in the order {@code SeededShuffle(seed, e)}, so a run, resumed or
 * not, sees the same batches as any other run with that seed.
 */
public final class EpochChunks extends RandomAccessDataset {

    private final RandomAccessDataset pool;
    private final int chunks;
    private final long chunkSize;
    private final Long seed;
    private int nextEpoch;
    private volatile int chunk;

    private EpochChunks(Builder builder) {
        super(builder);
        pool = builder.pool;
        chunks = builder.chunks;
        chunkSize = pool.size() / chunks;
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
     * Makes the next {@code getData} call read epoch {@code epoch}'s chunk.
     *
     * @param epoch the number of epochs already done
     */
    public void startAt(int epoch) {
        if (epoch < 0) {
            throw new IllegalArgumentException("epochs done cannot be negative: " + epoch);
        }
        nextEpoch = epoch;
    }

    /**
     * Returns k.
     *
     * @return the number of epochs that make one pass over the pool
     */
    public int getChunks() {
        return chunks;
    }

    /**
     * Returns the chunk the current (last started) epoch reads.
     *
     * @return {@code c} in {@code [0, k)}
     */
    public int getChunk() {
        return chunk;
    }

    @Override
    public Iterable<Batch> getData(NDManager manager, Sampler sampler, ExecutorService executorService)
            throws IOException, TranslateException {
        int epoch = nextEpoch++;
        chunk = epoch % chunks;
        Sampler order = seed == null ? sampler : new BatchSampler(new SeededShuffle(seed, epoch), sampler.getBatchSize(), false);
        return super.getData(manager, order, executorService);
    }

    @Override
    public Record get(NDManager manager, long index) throws IOException {
        if (index < 0 || index >= chunkSize) {
            throw new IndexOutOfBoundsException("index " + index + " outside the chunk of " + chunkSize);
        }
        return pool.get(manager, chunk * chunkSize + index);
    }

    @Override
    protected long availableSize() {
        return chunkSize;
    }

    @Override
    public void prepare(Progress progress) throws IOException, TranslateException {
        pool.prepare(progress);
    }

    /** The builder of {@link EpochChunks}: the pool and k, then DJL's sampling options. */
    public static final class Builder extends BaseBuilder<Builder> {

        private RandomAccessDataset pool;
        private int chunks;
        private Long seed;

        Builder() {}

        @Override
        protected Builder self() {
            return this;
        }

        /**
         * Sets the pool and the number of chunks (required).
         *
         * @param pool the examples
         * @param chunks k, from 1 to the pool's size
         * @return this builder
         */
        public Builder setPool(RandomAccessDataset pool, int chunks) {
            this.pool = pool;
            this.chunks = chunks;
            return this;
        }

        /**
         * Makes every epoch's order a function of the seed and the epoch ({@link SeededShuffle}),
         * in batches of the sampling's batch size, the last one possibly short; without a seed
         * the sampling's own order is used (DJL's random sampler: a new order per run).
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Builds the set.
         *
         * @return the set
         */
        public EpochChunks build() {
            if (pool == null) {
                throw new IllegalArgumentException("EpochChunks needs a pool: call setPool");
            }
            if (chunks < 1 || chunks > pool.size()) {
                throw new IllegalArgumentException("cannot split " + pool.size() + " examples into " + chunks + " chunks");
            }
            return new EpochChunks(this);
        }
    }
}
