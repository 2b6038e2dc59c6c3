package ai.djl.quant.nn;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.quant.Quantization;
import ai.djl.quant.QuantizationConfig;
import ai.djl.quant.export.ExportTesting;
import ai.djl.quant.export.PackedModel;
import ai.djl.quant.quantizers.LsqQuantizer;
import ai.djl.quant.quantizers.Quantizer;
import ai.djl.training.ParameterStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.testng.Assert;
import org.testng.annotations.Test;

public class QuantizedSumTest {

    private static final QuantizationConfig WITH_SUMS = QuantizationConfig.builder().setWeights(LsqQuantizer.spec(8))
            .optActivations(LsqQuantizer.spec(8)).optSums(LsqQuantizer.spec(8)).build();
    private static final QuantizationConfig WITHOUT_SUMS =
            QuantizationConfig.builder().setWeights(LsqQuantizer.spec(8)).optActivations(LsqQuantizer.spec(8)).build();

    private static QuantizedNetwork wrapped(NDManager manager, QuantizationConfig config) {
        manager.getEngine().setRandomSeed(5);
        Block net = ExportTesting.residualNet(8);
        net.initialize(manager, DataType.FLOAT32, ExportTesting.INPUT);
        return Quantization.wrap(net, config);
    }

    @Test
    public void replacesTheSumJoinAndKeepsTheLayerPaths() {
        try (NDManager manager = NDManager.newBaseManager()) {
            List<String> plain = wrapped(manager, WITHOUT_SUMS).getQuantizedLayers().stream().map(QuantizedLayer::getPath).toList();
            QuantizedNetwork qnet = wrapped(manager, WITH_SUMS);
            Assert.assertEquals(qnet.getQuantizedLayers().stream().map(QuantizedLayer::getPath).toList(), plain);
            Assert.assertEquals(qnet.getQuantizedSums().size(), 1);
            QuantizedSum sum = qnet.getQuantizedSums().get(0);
            Assert.assertEquals(sum.getPath(), "04ParallelBlock");
            Assert.assertSame(BlockTree.resolve(qnet.getNetwork(), "04ParallelBlock"), sum);
            Assert.assertEquals(sum.getBranches().size(), 2);
            // two operands and the result, signed, per tensor, beside each layer's two quantizers
            Assert.assertEquals(qnet.getQuantizers().size(), 2 * plain.size() + 3);
            Assert.assertTrue(sum.getQuantizers().stream().allMatch(Quantizer::isSigned));
            Assert.assertTrue(qnet.summary().contains("1 quantized sums"), qnet.summary());
        }
    }

    @Test
    public void theSumLiesOnItsGrid() {
        try (NDManager manager = NDManager.newBaseManager()) {
            QuantizedNetwork qnet = wrapped(manager, WITH_SUMS);
            ParameterStore store = new ParameterStore(manager, false);
            NDArray x = manager.randomNormal(ExportTesting.INPUT);
            qnet.forward(store, new NDList(x), true); // calibrates
            qnet.setDeployMode(true);
            QuantizedSum sum = qnet.getQuantizedSums().get(0);
            NDArray unitInput = manager.randomNormal(new ai.djl.ndarray.types.Shape(4, 8, 12, 12)).abs();
            float[] y = sum.forward(store, new NDList(unitInput), false).head().toFloatArray();
            Quantizer.IntegerGrid grid = sum.getOutputQuantizer().integerGrid(store).orElseThrow();
            java.util.Set<Integer> codes = new java.util.HashSet<>();
            for (float v : y) {
                float m = v / grid.scale();
                Assert.assertEquals(m, Math.rint(m), 1e-3, "value " + v + " is not a multiple of the step " + grid.scale());
                Assert.assertTrue(m >= grid.min() - 1e-3 && m <= grid.max() + 1e-3);
                codes.add((int) Math.rint(m));
            }
            Assert.assertTrue(codes.size() > 10, "only " + codes.size() + " levels used");
        }
    }

    @Test
    public void survivesSaveAndLoadAndAFileWithoutSumsIsRefusedByPath() throws IOException, MalformedModelException {
        Path dir = Files.createTempDirectory("qsum");
        float[] expected;
        float[] input;
        try (Model model = Model.newInstance("res")) {
            QuantizedNetwork qnet = wrapped(model.getNDManager(), WITH_SUMS);
            model.setBlock(qnet);
            NDArray x = model.getNDManager().randomNormal(ExportTesting.INPUT);
            ParameterStore store = new ParameterStore(model.getNDManager(), false);
            qnet.forward(store, new NDList(x), true);
            expected = qnet.forward(store, new NDList(x), false).head().toFloatArray();
            model.save(dir, "res");
            input = x.toFloatArray();
            try (Model loaded = Model.newInstance("res")) {
                QuantizedNetwork again = wrapped(loaded.getNDManager(), WITH_SUMS);
                loaded.setBlock(again);
                loaded.load(dir, "res");
                Assert.assertTrue(again.getQuantizers().stream().allMatch(Quantizer::isCalibrated));
                float[] actual = again.forward(new ParameterStore(loaded.getNDManager(), false),
                        new NDList(loaded.getNDManager().create(input, ExportTesting.INPUT)), false).head().toFloatArray();
                Assert.assertEquals(actual, expected);
            }
        }
        Path packed = dir.resolve("res.djlq");
        try (Model model = Model.newInstance("res")) {
            QuantizedNetwork qnet = wrapped(model.getNDManager(), WITH_SUMS);
            model.setBlock(qnet);
            model.load(dir, "res");
            qnet.setDeployMode(true);
            PackedModel.write(qnet, packed);
        }
        try (Model model = Model.newInstance("res")) {
            QuantizedNetwork qnet = wrapped(model.getNDManager(), WITH_SUMS);
            PackedModel.read(qnet, packed);
            Assert.assertTrue(qnet.getQuantizedSums().get(0).getOutputQuantizer().isCalibrated());
            float[] actual = qnet.forward(new ParameterStore(model.getNDManager(), false),
                    new NDList(model.getNDManager().create(input, ExportTesting.INPUT)), false).head().toFloatArray();
            Assert.assertEquals(actual, expected, 1e-5f);
        }
        try (Model other = Model.newInstance("res")) {
            other.setBlock(wrapped(other.getNDManager(), WITHOUT_SUMS));
            MalformedModelException e = Assert.expectThrows(MalformedModelException.class, () -> other.load(dir, "res"));
            Assert.assertTrue(e.getMessage().contains("04ParallelBlock"), e.getMessage());
        }
    }
}
