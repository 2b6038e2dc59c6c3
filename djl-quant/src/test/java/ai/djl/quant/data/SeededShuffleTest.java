package ai.djl.quant.data;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.ArrayDataset;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.testng.Assert;
import org.testng.annotations.Test;

public class SeededShuffleTest {

    @Test
    public void anOrderIsAPermutationFixedBySeedAndStream() {
        try (NDManager manager = NDManager.newBaseManager()) {
            ArrayDataset data = new ArrayDataset.Builder().setData(manager.zeros(new Shape(50, 1))).setSampling(1, false).build();
            List<Long> a = drain(new SeededShuffle(3, 0).sample(data));
            List<Long> sorted = new ArrayList<>(a);
            sorted.sort(null);
            Assert.assertEquals(sorted, LongStream.range(0, 50).boxed().collect(Collectors.toList()));
            Assert.assertNotEquals(a, sorted);
            Assert.assertEquals(drain(new SeededShuffle(3, 0).sample(data)), a);
            Assert.assertNotEquals(drain(new SeededShuffle(3, 1).sample(data)), a);
            Assert.assertNotEquals(drain(new SeededShuffle(4, 0).sample(data)), a);
        }
    }

    @Test
    public void neighbouringSeedsStartDifferently() {
        // plain java.util.Random(seed) gives nearly equal first doubles for seeds 1, 2, 3, ...
        double first = SeededShuffle.random(1, 0).nextDouble();
        double second = SeededShuffle.random(2, 0).nextDouble();
        Assert.assertTrue(Math.abs(first - second) > 1e-3, first + " vs " + second);
    }

    private static List<Long> drain(Iterator<Long> it) {
        List<Long> out = new ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }
}
