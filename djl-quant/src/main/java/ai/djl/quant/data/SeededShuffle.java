package ai.djl.quant.data;

import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.training.dataset.Sampler;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Random;
import java.util.SplittableRandom;

/**
 * A random order of a data set's examples that depends only on a seed and a stream index (e.g. the
 * epoch): DJL's {@code RandomSampler} draws from one process-wide generator, so its order changes
 * with everything drawn before, and a resumed run cannot repeat it. Use it as
 * {@code new BatchSampler(new SeededShuffle(seed, epoch), batchSize, false)}.
 */
public final class SeededShuffle implements Sampler.SubSampler {

    private final long seed;
    private final long stream;

    /**
     * Creates the order of stream {@code stream} under {@code seed}.
     *
     * @param seed the seed
     * @param stream which order of that seed (an epoch, a scene)
     */
    public SeededShuffle(long seed, long stream) {
        this.seed = seed;
        this.stream = stream;
    }

    /**
     * The generator of stream {@code stream} under {@code seed}. {@code java.util.Random}'s first
     * outputs are correlated for neighbouring seeds, so the two are mixed through a splittable
     * generator first.
     *
     * @param seed the seed
     * @param stream the stream
     * @return a generator that no other (seed, stream) pair of small values shares
     */
    public static Random random(long seed, long stream) {
        return new Random(new SplittableRandom(seed * 0x9E3779B97F4A7C15L + stream).nextLong());
    }

    /**
     * Shuffles {@code order} in place (Fisher–Yates), drawing from {@code random}.
     *
     * @param order the values to permute
     * @param random the generator
     */
    public static void shuffle(int[] order, Random random) {
        for (int i = order.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
    }

    @Override
    public Iterator<Long> sample(RandomAccessDataset dataset) {
        int[] order = new int[Math.toIntExact(dataset.size())];
        Arrays.setAll(order, i -> i);
        shuffle(order, random(seed, stream));
        return Arrays.stream(order).mapToObj(i -> (long) i).iterator();
    }
}
