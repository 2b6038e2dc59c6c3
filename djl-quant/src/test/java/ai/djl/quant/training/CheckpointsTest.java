package ai.djl.quant.training;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.quant.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.testng.Assert;
import org.testng.annotations.Test;

public class CheckpointsTest {

    @Test
    public void keepsTheLatestCompleteEpochAndReloadsIt() throws Exception {
        Path dir = Files.createTempDirectory("ckpt");
        Checkpoints checkpoints = new Checkpoints(dir, "cnn");
        Assert.assertTrue(checkpoints.latest().isEmpty());
        float[] saved;
        try (Model model = Model.newInstance("cnn")) {
            model.setBlock(TestModels.smallCnn());
            TestModels.init(model.getBlock(), model.getNDManager());
            checkpoints.save(model, 1);
            NDArray w = model.getBlock().getParameters().get(0).getValue().getArray();
            w.muli(2);
            saved = w.toFloatArray();
            checkpoints.save(model, 2);
        }
        Assert.assertEquals(checkpoints.latest().getAsInt(), 2);
        // a half-written checkpoint (a crash during save) is ignored
        Files.createDirectories(dir.resolve(".saving-123"));
        try (Stream<Path> files = Files.list(dir)) {
            Assert.assertEquals(files.filter(p -> p.getFileName().toString().startsWith("epoch-")).count(), 1);
        }
        Assert.assertEquals(checkpoints.latest().getAsInt(), 2);
        try (Model model = Model.newInstance("cnn")) {
            model.setBlock(TestModels.smallCnn());
            checkpoints.load(model, 2);
            Assert.assertEquals(model.getBlock().getParameters().get(0).getValue().getArray().toFloatArray(), saved);
        }
    }
}
