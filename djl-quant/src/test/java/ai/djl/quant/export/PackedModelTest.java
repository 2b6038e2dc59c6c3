package ai.djl.quant.export;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.quant.Quantization;
import ai.djl.quant.QuantizationConfig;
import ai.djl.quant.TestModels;
import ai.djl.quant.nn.ParameterValues;
import ai.djl.quant.nn.QuantizedLayer;
import ai.djl.quant.nn.QuantizedNetwork;
import ai.djl.quant.quantizers.BinaryQuantizer;
import ai.djl.quant.quantizers.ChannelBalancedQuantizer;
import ai.djl.quant.quantizers.LearnedLevelsQuantizer;
import ai.djl.quant.quantizers.LsqQuantizer;
import ai.djl.quant.quantizers.NHotQuantizer;
import ai.djl.quant.quantizers.PowerOfTwoQuantizer;
import ai.djl.quant.quantizers.QuantizerSpec;
import ai.djl.quant.quantizers.ShiftQuantizer;
import ai.djl.training.ParameterStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.testng.Assert;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;

public class PackedModelTest {

    @DataProvider
    public Object[][] configs() {
        return new Object[][] {
            {QuantizationConfig.builder().setWeights(LsqQuantizer.spec(4)).optActivations(LsqQuantizer.spec(4)).build()},
            {QuantizationConfig.builder().setWeights(ShiftQuantizer.shiftSpec(2)).optActivations(ShiftQuantizer.shiftSpec(2)).build()},
            {QuantizationConfig.builder().setWeights(ShiftQuantizer.uniformSpec(4)).build()},
            {QuantizationConfig.builder().setWeights(NHotQuantizer.spec(8, 2)).optActivations(NHotQuantizer.spec(8, 2)).build()},
            {QuantizationConfig.builder().setWeights(LearnedLevelsQuantizer.spec(3))
                    .optActivations(ChannelBalancedQuantizer.spec(4, ChannelBalancedQuantizer.Objective.MSE)).build()},
            {QuantizationConfig.builder().setWeights(BinaryQuantizer.spec()).build()},
            {QuantizationConfig.builder().setWeights(PowerOfTwoQuantizer.spec(4)).build()},
        };
    }

    /** A wrapped, calibrated small CNN in deploy mode, and its output on a fixed input. */
    private static float[] prepare(Model model, QuantizationConfig config, float[] input) {
        model.setBlock(TestModels.smallCnn());
        TestModels.init(model.getBlock(), model.getNDManager());
        QuantizedNetwork qnet = Quantization.wrap(model.getBlock(), config);
        model.setBlock(qnet);
        NDArray x = model.getNDManager().create(input, TestModels.INPUT);
        ParameterStore store = new ParameterStore(model.getNDManager(), false);
        qnet.forward(store, new NDList(x), true);
        qnet.setDeployMode(true);
        return qnet.forward(store, new NDList(x), false).head().toFloatArray();
    }

    private static float[] input() {
        Random random = new Random(3);
        float[] x = new float[(int) TestModels.INPUT.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        return x;
    }

    @Test(dataProvider = "configs")
    public void packedModelReproducesTheFakeQuantizedOutputs(QuantizationConfig config) throws Exception {
        Path file = Files.createTempDirectory("packed").resolve("model.djlq");
        float[] x = input();
        float[] expected;
        long ideal = 0;
        try (Model model = Model.newInstance("m")) {
            expected = prepare(model, config, x);
            QuantizedNetwork qnet = (QuantizedNetwork) model.getBlock();
            long size = PackedModel.write(qnet, file);
            ideal = PackedModel.idealBytes(qnet, false);
            Assert.assertTrue(size < ideal + 4096, size + " bytes vs ideal " + ideal);
        }
        try (Model model = Model.newInstance("m")) {
            model.setBlock(TestModels.smallCnn());
            TestModels.init(model.getBlock(), model.getNDManager());
            QuantizedNetwork qnet = Quantization.wrap(model.getBlock(), config);
            model.setBlock(qnet);
            PackedModel.read(qnet, file);
            NDArray in = model.getNDManager().create(x, TestModels.INPUT);
            float[] actual = qnet.forward(new ParameterStore(model.getNDManager(), false), new NDList(in), false).head().toFloatArray();
            Assert.assertEquals(actual, expected);
        }
    }

    @Test(dataProvider = "configs")
    public void aLoadedModelPacksToTheSameBytes(QuantizationConfig config) throws Exception {
        // weight steps and shift σ0 live only in the codebook's scales: restoring them must be exact
        Path dir = Files.createTempDirectory("packed");
        try (Model model = Model.newInstance("m")) {
            prepare(model, config, input());
            PackedModel.write(model.getBlock(), dir.resolve("a.djlq"), false);
        }
        try (Model model = Model.newInstance("m")) {
            model.setBlock(TestModels.smallCnn());
            TestModels.init(model.getBlock(), model.getNDManager());
            QuantizedNetwork qnet = Quantization.wrap(model.getBlock(), config);
            PackedModel.read(qnet, dir.resolve("a.djlq"));
            PackedModel.write(qnet, dir.resolve("b.djlq"));
        }
        Assert.assertEquals(Files.readAllBytes(dir.resolve("b.djlq")), Files.readAllBytes(dir.resolve("a.djlq")));
    }

    @Test
    public void loadedShiftWeightsAreEncodedAsTheyAreNotQuantizedAgain() throws Exception {
        // the shift quantizer standardises by the weights' own moments: re-quantizing its hard values
        // is not the identity, so an export of a loaded model must take the loaded values as codes
        QuantizationConfig config = QuantizationConfig.builder().setWeights(ShiftQuantizer.shiftSpec(3)).build();
        Path file = Files.createTempDirectory("packed").resolve("model.djlq");
        try (Model model = Model.newInstance("m")) {
            prepare(model, config, input());
            PackedModel.write((QuantizedNetwork) model.getBlock(), file);
        }
        try (Model model = Model.newInstance("m")) {
            model.setBlock(TestModels.smallCnn());
            TestModels.init(model.getBlock(), model.getNDManager());
            QuantizedNetwork qnet = Quantization.wrap(model.getBlock(), config);
            PackedModel.read(qnet, file);
            ParameterStore store = new ParameterStore(model.getNDManager(), false);
            for (QuantizedLayer layer : qnet.getQuantizedLayers()) {
                NDArray w = layer.getWeight().getArray();
                Assert.assertEquals(layer.getWeightQuantizer().codebook(store, w).decode(), w.toFloatArray());
            }
        }
    }

    @DataProvider
    public Object[][] learnedTables() {
        return new Object[][] {{false}, {true}};
    }

    @Test(dataProvider = "learnedTables")
    public void learnedLevelTablesAreStoredOnceAndRestored(boolean symmetric) throws Exception {
        QuantizerSpec weights = QuantizerSpec.of("learned", 3,
                (role, b) -> LearnedLevelsQuantizer.builder().setBits(b).optSymmetric(symmetric).optRole(role).build());
        QuantizationConfig config = QuantizationConfig.builder().setWeights(weights).build();
        Path file = Files.createTempDirectory("packed").resolve("model.djlq");
        List<float[]> written = new ArrayList<>();
        try (Model model = Model.newInstance("m")) {
            prepare(model, config, input());
            QuantizedNetwork qnet = (QuantizedNetwork) model.getBlock();
            PackedModel.write(qnet, file);
            for (QuantizedLayer layer : qnet.getQuantizedLayers()) {
                written.add(((LearnedLevelsQuantizer) layer.getWeightQuantizer()).getLevelTable());
            }
        }
        try (Model model = Model.newInstance("m")) {
            model.setBlock(TestModels.smallCnn());
            TestModels.init(model.getBlock(), model.getNDManager());
            QuantizedNetwork qnet = Quantization.wrap(model.getBlock(), config);
            PackedModel.read(qnet, file);
            for (int i = 0; i < written.size(); i++) {
                // Lloyd-Max tables are sorted (magnitudes ascending when symmetric): restored exactly
                Assert.assertEquals(((LearnedLevelsQuantizer) qnet.getQuantizedLayers().get(i).getWeightQuantizer()).getLevelTable(),
                        written.get(i), "layer " + i);
            }
        }
    }

    @Test
    public void corruptTruncatedOrForeignFilesFailClearly() throws Exception {
        QuantizationConfig config = (QuantizationConfig) configs()[0][0];
        Path dir = Files.createTempDirectory("packed");
        Path file = dir.resolve("model.djlq");
        try (Model model = Model.newInstance("m")) {
            prepare(model, config, input());
            PackedModel.write((QuantizedNetwork) model.getBlock(), file);
        }
        byte[] good = Files.readAllBytes(file);
        Path corrupt = dir.resolve("corrupt.djlq");
        byte[] flipped = good.clone();
        flipped[good.length / 2] ^= 0x10;
        Files.write(corrupt, flipped);
        Path truncated = dir.resolve("truncated.djlq");
        Files.write(truncated, java.util.Arrays.copyOf(good, good.length - 100));
        Path version = dir.resolve("version.djlq");
        byte[] v2 = good.clone();
        v2[11] = 9; // the version int follows the 8-byte magic
        Files.write(version, v2);
        Path foreign = dir.resolve("foreign.djlq");
        Files.writeString(foreign, "hello");

        try (Model model = Model.newInstance("m")) {
            model.setBlock(TestModels.smallCnn());
            TestModels.init(model.getBlock(), model.getNDManager());
            QuantizedNetwork qnet = Quantization.wrap(model.getBlock(), config);
            IOException e = Assert.expectThrows(IOException.class, () -> PackedModel.read(qnet, corrupt));
            Assert.assertTrue(e.getMessage().contains("corrupt.djlq") && e.getMessage().contains("checksum"), e.getMessage());
            Assert.expectThrows(IOException.class, () -> PackedModel.read(qnet, truncated));
            MalformedModelException m = Assert.expectThrows(MalformedModelException.class, () -> PackedModel.read(qnet, version));
            Assert.assertTrue(m.getMessage().contains("version 9"), m.getMessage());
            Assert.expectThrows(MalformedModelException.class, () -> PackedModel.read(qnet, foreign));
        }
        try (Model model = Model.newInstance("m")) {
            model.setBlock(TestModels.smallCnn());
            TestModels.init(model.getBlock(), model.getNDManager());
            QuantizedNetwork other = Quantization.wrap(model.getBlock(), QuantizationConfig.builder().setWeights(LsqQuantizer.spec(4)).build());
            MalformedModelException m = Assert.expectThrows(MalformedModelException.class, () -> PackedModel.read(other, file));
            Assert.assertTrue(m.getMessage().contains("model.djlq"), m.getMessage());
        }
    }

    @Test
    public void floatModelsPackAtHalfSize() throws Exception {
        Path file = Files.createTempDirectory("packed").resolve("float.djlq");
        float[] x = input();
        float[] expected;
        try (Model model = Model.newInstance("m")) {
            model.setBlock(TestModels.smallCnn());
            TestModels.init(model.getBlock(), model.getNDManager());
            for (var p : model.getBlock().getParameters().values()) {
                // values a float16 holds exactly, so the outputs must match bit for bit
                NDArray a = p.getArray();
                a.set(a.toType(ai.djl.ndarray.types.DataType.FLOAT16, false).toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray());
            }
            NDArray in = model.getNDManager().create(x, TestModels.INPUT);
            expected = model.getBlock().forward(new ParameterStore(model.getNDManager(), false), new NDList(in), false).head().toFloatArray();
            long size = PackedModel.write(model.getBlock(), file, true);
            long ideal = PackedModel.idealBytes(model.getBlock(), true);
            // the ideal counts 2 bytes a value; deflating may only ever take bytes away
            Assert.assertTrue(size < ideal + 4096, size + " bytes vs ideal " + ideal);
        }
        assertFloatModelLoads(file, x, expected);
    }

    @Test
    public void repetitiveHalfFloatsAreDeflatedLosslessly() throws Exception {
        Path file = Files.createTempDirectory("packed").resolve("deflated.djlq");
        float[] x = input();
        float[] expected;
        long ideal;
        try (Model model = Model.newInstance("m")) {
            model.setBlock(TestModels.smallCnn());
            TestModels.init(model.getBlock(), model.getNDManager());
            for (var p : model.getBlock().getParameters().values()) {
                // few distinct values: deflate must shrink them well below 2 bytes each
                float[] v = p.getArray().toFloatArray();
                for (int i = 0; i < v.length; i++) {
                    v[i] = ((i * 7) % 5 - 2) * 0.125f;
                }
                ParameterValues.overwrite(p, v);
            }
            NDArray in = model.getNDManager().create(x, TestModels.INPUT);
            expected = model.getBlock().forward(new ParameterStore(model.getNDManager(), false), new NDList(in), false).head().toFloatArray();
            long size = PackedModel.write(model.getBlock(), file, true);
            ideal = PackedModel.idealBytes(model.getBlock(), true);
            Assert.assertTrue(size < ideal * 3 / 4, size + " bytes vs ideal " + ideal); // headers included
        }
        assertFloatModelLoads(file, x, expected);
    }

    /** Loads a packed float small CNN and checks its outputs bit for bit. */
    private static void assertFloatModelLoads(Path file, float[] x, float[] expected) throws Exception {
        try (Model model = Model.newInstance("m")) {
            model.setBlock(TestModels.smallCnn());
            TestModels.init(model.getBlock(), model.getNDManager());
            PackedModel.read(model.getBlock(), file);
            NDArray in = model.getNDManager().create(x, TestModels.INPUT);
            float[] actual = model.getBlock().forward(new ParameterStore(model.getNDManager(), false), new NDList(in), false).head().toFloatArray();
            Assert.assertEquals(actual, expected);
        }
    }

    @Test
    public void bitPackingRoundTrip() {
        Random random = new Random(1);
        for (int bits = 1; bits <= 9; bits++) {
            int[] codes = new int[101];
            for (int i = 0; i < codes.length; i++) {
                codes[i] = random.nextInt(1 << bits);
            }
            byte[] packed = BitPacking.pack(codes, bits);
            Assert.assertEquals(packed.length, (101 * bits + 7) / 8);
            Assert.assertEquals(BitPacking.unpack(packed, codes.length, bits), codes);
        }
        Assert.expectThrows(IllegalArgumentException.class, () -> BitPacking.pack(new int[] {4}, 2));
    }
}
