package ai.djl.quant.data;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import java.util.ArrayList;
import java.util.List;
import org.testng.Assert;
import org.testng.annotations.Test;

public class EpochChunksTest {

    @Test
    public void epochsTakeTheChunksInTurnAndResume() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            // 10 examples whose value is their index; 3 chunks of 3 (example 9 is never read)
            ArrayDataset pool = new ArrayDataset.Builder().setData(manager.arange(10f).reshape(new Shape(10, 1)))
                    .optLabels(manager.zeros(new Shape(10))).setSampling(1, false).build();
            EpochChunks chunks = EpochChunks.builder().setPool(pool, 3).setSampling(2, true).build();
            Assert.assertEquals(chunks.size(), 3);
            Assert.assertEquals(epoch(chunks, manager), List.of(0f, 1f, 2f));
            Assert.assertEquals(chunks.getChunk(), 0);
            Assert.assertEquals(epoch(chunks, manager), List.of(3f, 4f, 5f));
            Assert.assertEquals(epoch(chunks, manager), List.of(6f, 7f, 8f));
            Assert.assertEquals(epoch(chunks, manager), List.of(0f, 1f, 2f));
            // a resumed run after 5 epochs reads chunk 5 mod 3 = 2
            chunks.startAt(5);
            Assert.assertEquals(epoch(chunks, manager), List.of(6f, 7f, 8f));
            Assert.expectThrows(IllegalArgumentException.class, () -> EpochChunks.builder().setPool(pool, 11).setSampling(1, false).build());
            Assert.expectThrows(IllegalArgumentException.class, () -> EpochChunks.builder().setSampling(1, false).build());
            Assert.expectThrows(IndexOutOfBoundsException.class, () -> chunks.get(manager, 3));
        }
    }

    @Test
    public void aSeededRunRepeatsItsOrderAlsoWhenResumed() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            ArrayDataset pool = new ArrayDataset.Builder().setData(manager.arange(40f).reshape(new Shape(40, 1)))
                    .optLabels(manager.zeros(new Shape(40))).setSampling(1, false).build();
            EpochChunks run = EpochChunks.builder().setPool(pool, 2).setSampling(4, true).optSeed(7).build();
            List<List<Float>> epochs = new ArrayList<>();
            for (int e = 0; e < 4; e++) {
                epochs.add(order(run, manager));
            }
            Assert.assertEquals(sorted(epochs.get(0)), sorted(epochs.get(2)), "epochs 0 and 2 read the same chunk");
            Assert.assertNotEquals(epochs.get(0), epochs.get(2), "in another order");
            EpochChunks resumed = EpochChunks.builder().setPool(pool, 2).setSampling(4, true).optSeed(7).build();
            resumed.startAt(2);
            Assert.assertEquals(order(resumed, manager), epochs.get(2));
            Assert.assertEquals(order(resumed, manager), epochs.get(3));
            EpochChunks other = EpochChunks.builder().setPool(pool, 2).setSampling(4, true).optSeed(8).build();
            Assert.assertNotEquals(order(other, manager), epochs.get(0));
        }
    }

    /** One epoch's values, sorted (the sampler shuffles within the chunk). */
    private static List<Float> epoch(EpochChunks chunks, NDManager manager) throws Exception {
        return sorted(order(chunks, manager));
    }

    /** One epoch's values in the order its batches gave them. */
    private static List<Float> order(EpochChunks chunks, NDManager manager) throws Exception {
        List<Float> seen = new ArrayList<>();
        for (Batch batch : chunks.getData(manager)) {
            Assert.assertTrue(batch.getSize() <= 4);
            for (float v : batch.getData().head().toFloatArray()) {
                seen.add(v);
            }
            batch.close();
        }
        return seen;
    }

    private static List<Float> sorted(List<Float> values) {
        List<Float> copy = new ArrayList<>(values);
        copy.sort(null);
        return copy;
    }
}
