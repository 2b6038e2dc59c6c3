package ai.djl.quant.training;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.ArrayDataset;
import java.util.ArrayList;
import java.util.List;
import org.testng.Assert;
import org.testng.annotations.Test;

public class ForwardPassesTest {

    @Test
    public void passesOverTheFirstBatchesUntilTheLimitOrTheEnd() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            ArrayDataset data = new ArrayDataset.Builder().setData(manager.arange(10f).reshape(10, 1))
                    .optLabels(manager.zeros(new Shape(10))).setSampling(4, false).build();
            List<Float> firsts = new ArrayList<>();
            Assert.assertEquals(ForwardPasses.run(manager, data, 2, (store, x) -> firsts.add(x.head().getFloat(0, 0))), 2);
            Assert.assertEquals(firsts, List.of(0f, 4f));
            Assert.assertEquals(ForwardPasses.run(manager, data, 100, (store, x) -> { }), 3, "10 items in batches of 4");
            Assert.expectThrows(IllegalArgumentException.class, () -> ForwardPasses.run(manager, data, 0, (store, x) -> { }));
            ArrayDataset empty = new ArrayDataset.Builder().setData(manager.zeros(new Shape(0, 1)))
                    .optLabels(manager.zeros(new Shape(0))).setSampling(4, false).build();
            Assert.expectThrows(IllegalArgumentException.class, () -> ForwardPasses.run(manager, empty, 1, (store, x) -> { }));
        }
    }
}
