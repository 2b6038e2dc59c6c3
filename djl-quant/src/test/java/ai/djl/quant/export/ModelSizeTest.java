package ai.djl.quant.export;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.quant.Quantization;
import ai.djl.quant.QuantizationConfig;
import ai.djl.quant.TestModels;
import ai.djl.quant.nn.QuantizedLayer;
import ai.djl.quant.nn.QuantizedNetwork;
import ai.djl.quant.quantizers.LsqQuantizer;
import org.testng.Assert;
import org.testng.annotations.Test;

public class ModelSizeTest {

    @Test
    public void quantizedWeightsCountAtTheirBitWidth() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block cnn = TestModels.init(TestModels.smallCnn(), manager);
            long elements = cnn.getParameters().values().stream().mapToLong(p -> p.getArray().size()).sum();
            long fp32 = ModelSize.bytes(cnn);
            Assert.assertEquals(fp32, 4 * elements);

            QuantizedNetwork qnet =
                    Quantization.wrap(cnn, QuantizationConfig.builder().setWeights(LsqQuantizer.spec(3)).build());
            long saved = 0;
            long quantizerParams = 0;
            for (QuantizedLayer layer : qnet.getQuantizedLayers()) {
                long n = layer.getWeight().getArray().size();
                saved += 4 * n - (3 * n + 7) / 8;
                quantizerParams += 4 * layer.getWeightQuantizer().getParameters().get(0).getValue().getArray().size();
            }
            Assert.assertEquals(ModelSize.bytes(qnet), fp32 - saved + quantizerParams);
        }
    }
}
