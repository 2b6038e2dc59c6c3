package ai.djl.quant.export;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.quant.Quantization;
import ai.djl.quant.QuantizationConfig;
import ai.djl.quant.TestModels;
import ai.djl.quant.nn.QuantizedLayer;
import ai.djl.quant.nn.QuantizedNetwork;
import ai.djl.quant.quantizers.LsqQuantizer;
import ai.djl.quant.quantizers.NHotLevels;
import ai.djl.quant.quantizers.NHotQuantizer;
import ai.djl.quant.quantizers.PowerOfTwoQuantizer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.testng.Assert;
import org.testng.annotations.Test;

public class CostReportTest {

    @Test
    public void macsBopsAndShiftAddsOfAUniformModel() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block cnn = TestModels.init(TestModels.smallCnn(), manager);
            CostReport fp32 = CostReport.of(cnn);
            // smallCnn on 28x28: conv 1->8 3x3 at 28x28, conv 8->8 3x3 stride 2 at 14x14, linear 8->10
            long macs = 8L * 9 * 28 * 28 + 8L * 8 * 9 * 14 * 14 + 80;
            Assert.assertEquals(fp32.macs(), macs);
            Assert.assertEquals(fp32.bitOperations(), macs * 32 * 32);
            Assert.assertEquals(fp32.shiftAdds(), 0);
            Assert.assertEquals(fp32.getLayers().get(0).shiftAdds(), -1);

            QuantizedNetwork qnet =
                    Quantization.wrap(cnn, QuantizationConfig.builder().setWeights(LsqQuantizer.spec(4)).optActivations(LsqQuantizer.spec(8)).optKeepFirstFloat(true).build());
            CostReport report = CostReport.of(qnet);
            Assert.assertEquals(report.macs(), macs);
            QuantizedLayer conv = qnet.getQuantizedLayers().get(0);
            // independent count: NAF digits of round(clip(w/s)) for every weight, times 14*14
            NDArray w = conv.getWeight().getArray();
            NDArray s = conv.getWeightQuantizer().getParameters().get(0).getValue().getArray();
            float[] codes = w.div(s).clip(-8, 7).round().toFloatArray();
            long digits = 0;
            long nonZero = 0;
            for (float c : codes) {
                digits += NHotLevels.nafWeight((long) c);
                nonZero += c == 0 ? 0 : 1;
            }
            Assert.assertEquals(report.getLayers().get(1).shiftAdds(), digits * 14 * 14);
            Assert.assertEquals(report.getLayers().get(1).nonZeroWeightMacs(), nonZero * 14 * 14);
            Assert.assertTrue(nonZero > 0 && nonZero < codes.length, nonZero + " of " + codes.length);
            Assert.assertEquals(fp32.nonZeroWeightMacs(), 0);
            Assert.assertTrue(report.toJson().contains("\"nonZeroWeightMacs\": " + report.nonZeroWeightMacs()));
            Assert.assertEquals(report.getLayers().get(1).bitOperations(), 8L * 8 * 9 * 14 * 14 * 4 * 8);
            Assert.assertTrue(report.toJson().contains("\"shiftAdds\": " + report.shiftAdds()));
            Assert.assertTrue(report.toTable().contains("| total"));
        }
    }

    @Test
    public void learnedLevelTablesAreExported() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block cnn = TestModels.init(TestModels.smallCnn(), manager);
            CostReport report = CostReport.of(Quantization.wrap(cnn, QuantizationConfig.builder().setWeights(ai.djl.quant.quantizers.LearnedLevelsQuantizer.spec(2)).build()));
            Assert.assertEquals(report.getLayers().get(0).levelTable().length, 8 * 4); // 8 channels x 4 levels
            Assert.assertTrue(report.toJson().contains("\"levels\": ["), report.toJson());
            Assert.assertEquals(report.getLayers().get(0).indexBits(), 2);
        }
    }

    @Test
    public void nHotUsesFewerShiftAddsAndIndexBits() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block a = TestModels.init(TestModels.smallCnn(), manager);
            Block b = TestModels.init(TestModels.smallCnn(), manager);
            CostReport uniform = CostReport.of(Quantization.wrap(a, QuantizationConfig.builder().setWeights(LsqQuantizer.spec(8)).build()));
            CostReport nhot = CostReport.of(Quantization.wrap(b, QuantizationConfig.builder().setWeights(NHotQuantizer.spec(8, 2)).build()));
            Assert.assertEquals(nhot.getLayers().get(1).indexBits(), 7);
            Assert.assertTrue(nhot.weightBytes() < uniform.weightBytes());
            Assert.assertTrue(nhot.shiftAdds() <= 2 * nhot.macs());
            // a non-zero weight takes at least one shift, an n-hot(8,2) one at most two
            Assert.assertTrue(nhot.nonZeroWeightMacs() <= nhot.shiftAdds() && nhot.shiftAdds() <= 2 * nhot.nonZeroWeightMacs());
            Assert.assertTrue(uniform.nonZeroWeightMacs() <= uniform.shiftAdds());
            Assert.assertTrue(nhot.shiftAdds() < uniform.shiftAdds(), nhot.shiftAdds() + " vs " + uniform.shiftAdds());
            // the multiplier's accounting: 8 partial products per 8-bit weight, 2 per n-hot(8,2) one, float layers none
            long quantizedMacs = uniform.getLayers().stream().filter(l -> l.partialProducts() >= 0).mapToLong(CostReport.LayerCost::macs).sum();
            Assert.assertEquals(uniform.partialProducts(), 8 * quantizedMacs);
            Assert.assertEquals(nhot.partialProducts(), 2 * quantizedMacs);
        }
    }

    @Test
    public void aModelLoadedFromACheckpointCostsWhatItDidWhenSaved() throws Exception {
        Path dir = Files.createTempDirectory("cost");
        CostReport saved;
        try (Model model = Model.newInstance("cnn")) {
            model.setBlock(TestModels.smallCnn());
            TestModels.init(model.getBlock(), model.getNDManager());
            saved = CostReport.of(model.getBlock());
            model.save(dir, "cnn");
        }
        try (Model model = Model.newInstance("cnn")) {
            model.setBlock(TestModels.smallCnn());
            model.load(dir, "cnn");
            CostReport loaded = CostReport.of(model.getBlock());
            // the classifier (a Linear) included: DJL restores its input shape without the batch axis
            Assert.assertEquals(loaded.macs(), saved.macs());
            Assert.assertEquals(loaded.bitOperations(), saved.bitOperations());
        }
    }

    @Test
    public void aPowerOfTwoWeightIsOnePartialProduct() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block cnn = TestModels.init(TestModels.smallCnn(), manager);
            CostReport report = CostReport.of(Quantization.wrap(cnn, QuantizationConfig.builder().setWeights(PowerOfTwoQuantizer.spec(4)).build()));
            CostReport.LayerCost layer = report.getLayers().get(1);
            Assert.assertEquals(layer.partialProducts(), layer.macs());
            Assert.assertTrue(report.toJson().contains("\"partialProducts\": " + report.partialProducts()));
        }
    }
}
