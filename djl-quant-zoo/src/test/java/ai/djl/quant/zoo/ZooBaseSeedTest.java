package ai.djl.quant.zoo;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.quant.training.Checkpoints;
import ai.djl.training.ParameterStore;
import java.nio.file.Files;
import java.nio.file.Path;
import org.testng.Assert;
import org.testng.annotations.Test;

/**
 * {@link ZooArtifacts#seedBase}: a fresh machine's zoo build fine-tunes from the shipped fp32 model
 * itself. Checked on the MobileNetV2 base shipped in the jar: the checkpoint it writes computes
 * exactly what the artifact computes, and a base of other epochs or a missing artifact is not taken.
 */
public class ZooBaseSeedTest {

    @Test
    public void theSeededCheckpointIsTheShippedBase() throws Exception {
        ZooVariant fp32 = new ZooVariant("mobilenetv2", "fp32", 32, 32, ZooVariant.FASHION_MNIST);
        ZooArtifacts jar = ZooArtifacts.classpath();
        ModelCard card = jar.card(fp32).orElseThrow();
        Path dir = Files.createTempDirectory("seed");
        Checkpoints checkpoints = new Checkpoints(dir, "mobilenetv2");

        Assert.assertFalse(jar.seedBase("mobilenetv2", card.baseEpochs() + 1, checkpoints), "a base of other epochs is not the one asked for");
        Assert.assertTrue(checkpoints.latest().isEmpty());
        Assert.assertFalse(ZooArtifacts.directory(dir).seedBase("mobilenetv2", card.baseEpochs(), checkpoints), "no artifact there");

        Assert.assertTrue(jar.seedBase("mobilenetv2", card.baseEpochs(), checkpoints));
        Assert.assertEquals(checkpoints.latest().getAsInt(), card.baseEpochs());
        Assert.assertEquals(checkpoints.seconds(card.baseEpochs()), card.trainSeconds());

        try (NDManager manager = NDManager.newBaseManager();
                Model seeded = Model.newInstance("mobilenetv2")) {
            Shape input = new Shape(2, 1, 28, 28);
            NDArray x = manager.randomNormal(input);
            seeded.setBlock(fp32.newFloatBlock());
            seeded.getBlock().initialize(seeded.getNDManager(), DataType.FLOAT32, input);
            checkpoints.load(seeded, card.baseEpochs());
            Block shipped = fp32.newBlock();
            shipped.initialize(manager, DataType.FLOAT32, input);
            jar.load(fp32, card, shipped);
            NDArray expected = shipped.forward(new ParameterStore(manager, false), new NDList(x), false).head();
            NDArray actual = seeded.getBlock().forward(new ParameterStore(manager, false), new NDList(x), false).head();
            Assert.assertEquals(actual.toFloatArray(), expected.toFloatArray());
        }
    }
}
