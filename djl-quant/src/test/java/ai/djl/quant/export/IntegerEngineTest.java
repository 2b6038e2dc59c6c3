package ai.djl.quant.export;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.quant.QuantizationConfig;
import ai.djl.quant.quantizers.LsqQuantizer;
import ai.djl.quant.quantizers.NHotQuantizer;
import ai.djl.quant.quantizers.ShiftQuantizer;
import ai.djl.training.ParameterStore;
import org.testng.Assert;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;

public class IntegerEngineTest {

    private static final QuantizationConfig NHOT_WEIGHTS_AND_ACTIVATIONS =
            QuantizationConfig.builder().setWeights(NHotQuantizer.spec(8, 2)).optActivations(NHotQuantizer.spec(8, 2)).build();

    @DataProvider
    public Object[][] configs() {
        Object[][] shared = ExportTesting.configs();
        Object[][] all = java.util.Arrays.copyOf(shared, shared.length + 1);
        // n-hot activation levels are not a uniform grid: ONNX refuses them, the engine runs them
        all[shared.length] = new Object[] {"n-hot(8,2) W + A", NHOT_WEIGHTS_AND_ACTIVATIONS};
        return all;
    }

    @Test(dataProvider = "configs")
    public void computesWhatDjlComputes(String name, QuantizationConfig config) {
        try (Model model = Model.newInstance("m")) {
            NDManager manager = model.getNDManager();
            NDArray x = manager.randomNormal(ExportTesting.INPUT);
            Block block = ExportTesting.prepare(manager, config, x);
            float[] expected = block.forward(new ParameterStore(manager, false), new NDList(x), false).head().toFloatArray();
            IntegerEngine engine = IntegerEngine.compile(block, new Shape(1, 12, 12));
            float[] actual = engine.forward(x.toFloatArray(), (int) ExportTesting.INPUT.get(0));
            int far = ExportTesting.farApart(expected, actual);
            Assert.assertTrue(far <= expected.length / 10, name + ": " + far + " of " + expected.length + " outputs differ");
        }
    }

    @DataProvider
    public Object[][] integerModels() {
        return new Object[][] {
            {QuantizationConfig.builder().setWeights(LsqQuantizer.spec(4)).optActivations(LsqQuantizer.spec(4)).build()},
            {QuantizationConfig.builder().setWeights(ShiftQuantizer.shiftSpec(3)).optActivations(LsqQuantizer.spec(8)).build()},
            {QuantizationConfig.builder().setWeights(NHotQuantizer.spec(8, 2)).optActivations(LsqQuantizer.spec(8)).build()},
            {NHOT_WEIGHTS_AND_ACTIVATIONS},
        };
    }

    @Test(dataProvider = "integerModels")
    public void everyLayerRunsOnShiftsAndAddsAsTheCostReportCounts(QuantizationConfig config) {
        try (Model model = Model.newInstance("m")) {
            NDManager manager = model.getNDManager();
            NDArray x = manager.randomNormal(ExportTesting.INPUT);
            Block block = ExportTesting.prepare(manager, config, x);
            IntegerEngine engine = IntegerEngine.compile(block, new Shape(1, 12, 12));
            int batch = (int) ExportTesting.INPUT.get(0);
            engine.forward(x.toFloatArray(), batch);
            Assert.assertEquals(engine.integerLayers(), 5);
            Assert.assertEquals(engine.floatMacs(), 0);
            Assert.assertEquals(engine.shiftAdds(), CostReport.of(block).shiftAdds() * batch);
        }
    }
}
