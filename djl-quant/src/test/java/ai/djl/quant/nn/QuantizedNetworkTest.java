package ai.djl.quant.nn;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.quant.Quantization;
import ai.djl.quant.QuantizationConfig;
import ai.djl.quant.TestModels;
import ai.djl.quant.quantizers.BinaryQuantizer;
import ai.djl.quant.quantizers.ChannelBalancedQuantizer;
import ai.djl.quant.quantizers.LearnedLevelsQuantizer;
import ai.djl.quant.quantizers.LsqQuantizer;
import ai.djl.quant.quantizers.NHotQuantizer;
import ai.djl.quant.quantizers.ShiftQuantizer;
import ai.djl.quant.quantizers.PowerOfTwoQuantizer;
import ai.djl.training.ParameterStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.testng.Assert;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;

public class QuantizedNetworkTest {

    private static QuantizationConfig config(int bits) {
        return QuantizationConfig.builder()
                .setWeights(LsqQuantizer.spec(bits))
                .optActivations(PowerOfTwoQuantizer.spec(bits))
                .optKeepFirstFloat(true)
                .build();
    }

    @DataProvider
    public Object[][] everyQuantizer() {
        return new Object[][] {
            {config(4)},
            {QuantizationConfig.builder().setWeights(ShiftQuantizer.shiftSpec(2)).optActivations(ShiftQuantizer.shiftSpec(2)).build()},
            {QuantizationConfig.builder().setWeights(NHotQuantizer.spec(4, 2)).optActivations(NHotQuantizer.spec(4, 2)).build()},
            {QuantizationConfig.builder().setWeights(LearnedLevelsQuantizer.spec(3))
                    .optActivations(ChannelBalancedQuantizer.spec(4, ChannelBalancedQuantizer.Objective.CHANNEL_BALANCED)).build()},
            {QuantizationConfig.builder().setWeights(BinaryQuantizer.spec()).optActivations(LsqQuantizer.spec(2)).build()},
        };
    }

    @Test(dataProvider = "everyQuantizer")
    public void everyQuantizerSurvivesSaveAndLoad(QuantizationConfig config) throws IOException, MalformedModelException {
        Path dir = Files.createTempDirectory("qnet");
        float[][] input = new float[1][];
        float[] expected = trainAndSave(dir, input, config);
        try (Model model = Model.newInstance("qcnn")) {
            QuantizedNetwork qnet = Quantization.wrap(TestModels.smallCnn(), config);
            model.setBlock(qnet);
            model.load(dir, "qcnn");
            Assert.assertTrue(qnet.getQuantizers().stream().allMatch(q -> q.isCalibrated()));
            NDArray x = model.getNDManager().create(input[0], TestModels.INPUT);
            float[] actual =
                    qnet.forward(new ParameterStore(model.getNDManager(), false), new NDList(x), false)
                            .head()
                            .toFloatArray();
            Assert.assertEquals(actual, expected);
        }
    }

    private static float[] trainAndSave(Path dir, float[][] input) throws IOException {
        return trainAndSave(dir, input, config(4));
    }

    /** Builds, wraps and calibrates a model, then saves it; returns its output on {@code x}. */
    private static float[] trainAndSave(Path dir, float[][] input, QuantizationConfig config) throws IOException {
        try (Model model = Model.newInstance("qcnn")) {
            model.setBlock(TestModels.smallCnn());
            TestModels.init(model.getBlock(), model.getNDManager());
            QuantizedNetwork qnet = Quantization.wrap(model.getBlock(), config);
            model.setBlock(qnet);
            NDArray x = model.getNDManager().randomNormal(TestModels.INPUT);
            ParameterStore store = new ParameterStore(model.getNDManager(), false);
            qnet.forward(store, new NDList(x), true); // calibrates the activation quantizers
            input[0] = x.toFloatArray();
            float[] out = qnet.forward(store, new NDList(x), false).head().toFloatArray();
            model.save(dir, "qcnn");
            return out;
        }
    }

    @Test
    public void loadingWithAnotherConfigNamesTheFirstMismatchingLayer() throws IOException {
        Path dir = Files.createTempDirectory("qnet");
        trainAndSave(dir, new float[1][]);
        try (Model model = Model.newInstance("qcnn")) {
            model.setBlock(Quantization.wrap(TestModels.smallCnn(), config(8)));
            MalformedModelException e =
                    Assert.expectThrows(MalformedModelException.class, () -> model.load(dir, "qcnn"));
            Assert.assertTrue(e.getMessage().startsWith("Layer 04Conv2d was saved as w=lsq(4 bits"), e.getMessage());
        }
        try (Model model = Model.newInstance("qcnn")) {
            QuantizationConfig allLayers =
                    QuantizationConfig.builder().setWeights(LsqQuantizer.spec(4)).optActivations(PowerOfTwoQuantizer.spec(4)).build();
            model.setBlock(Quantization.wrap(TestModels.smallCnn(), allLayers));
            MalformedModelException e =
                    Assert.expectThrows(MalformedModelException.class, () -> model.load(dir, "qcnn"));
            Assert.assertTrue(e.getMessage().contains("04Conv2d"), e.getMessage());
            Assert.assertTrue(e.getMessage().contains("01Conv2d"), e.getMessage());
        }
    }
}
