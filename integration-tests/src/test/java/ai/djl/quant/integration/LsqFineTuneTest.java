package ai.djl.quant.integration;

import ai.djl.Model;
import ai.djl.ndarray.types.Shape;
import ai.djl.quant.Quantization;
import ai.djl.quant.QuantizationConfig;
import ai.djl.quant.data.FashionMnistDataset;
import ai.djl.quant.nn.QuantizedNetwork;
import ai.djl.quant.quantizers.LsqQuantizer;
import ai.djl.quant.training.ClassifierEvaluation;
import ai.djl.quant.training.ClassifierTraining;
import ai.djl.quant.training.QuantizationOptimizer;
import ai.djl.quant.zoo.cv.CompactCnn;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.CosineTracker;
import java.nio.file.Files;
import java.nio.file.Path;
import org.testng.Assert;
import org.testng.annotations.Test;

/**
 * End to end on the real Fashion-MNIST: a CNN trained in fp32, then fine-tuned one epoch with LSQ
 * W4A4, must end within 1.0 point of the same CNN fine-tuned one epoch in fp32, on the full 10k
 * test set; and the fine-tuned quantized model must survive save and load unchanged.
 */
public class LsqFineTuneTest {

    private static final int BATCH = 128;
    private static final Shape INPUT = new Shape(BATCH, 1, 28, 28);

    @Test
    public void w4a4WithinOnePointOfFp32() throws Exception {
        FashionMnistDataset train = FashionMnistDataset.trainingSet(BATCH);
        FashionMnistDataset test = FashionMnistDataset.testSet(1000);
        int steps = (int) ((train.size() + BATCH - 1) / BATCH);
        Path dir = Files.createTempDirectory("lsq-e2e");
        try (Model model = newModel()) {
            ClassifierTraining.fit(model, train, 2, ClassifierTraining.config(ClassifierTraining.sgdCosine(0.1f, 5e-4f, 2 * steps), false), INPUT);
            model.save(dir, "cnn");
        }
        double fp32;
        try (Model model = newModel()) {
            model.load(dir, "cnn");
            ClassifierTraining.fit(model, train, 1, ClassifierTraining.config(ClassifierTraining.sgdCosine(0.01f, 1e-4f, steps), false), INPUT);
            fp32 = ClassifierEvaluation.accuracy(model.getBlock(), model.getNDManager(), test);
        }
        double quantized;
        QuantizationConfig config =
                QuantizationConfig.builder()
                        .setWeights(LsqQuantizer.spec(4))
                        .optActivations(LsqQuantizer.spec(4))
                        .optKeepFirstFloat(true)
                        .optKeepLastFloat(true)
                        .build();
        try (Model model = newModel()) {
            model.load(dir, "cnn");
            QuantizedNetwork qnet = Quantization.wrap(model.getBlock(), config);
            model.setBlock(qnet);
            Optimizer optimizer =
                    QuantizationOptimizer.of(qnet, ClassifierTraining.sgdCosine(0.01f, 1e-4f, steps), CosineTracker.builder().setBaseValue(0.01f).optFinalValue(0f).setMaxUpdates(steps).build());
            ClassifierTraining.fit(model, train, 1, ClassifierTraining.config(optimizer, false), INPUT);
            quantized = ClassifierEvaluation.accuracy(qnet, model.getNDManager(), test);
            model.save(dir, "cnn-w4a4");
        }
        System.out.printf("fp32 fine-tuned %.2f%%, LSQ W4A4 fine-tuned %.2f%%%n", 100 * fp32, 100 * quantized);
        Assert.assertTrue(fp32 > 0.85, "fp32 accuracy " + fp32);
        Assert.assertTrue(quantized >= fp32 - 0.01, "W4A4 " + quantized + " vs fp32 " + fp32);

        try (Model model = newModel()) {
            QuantizedNetwork qnet = Quantization.wrap(model.getBlock(), config);
            model.setBlock(qnet);
            model.load(dir, "cnn-w4a4");
            Assert.assertEquals(ClassifierEvaluation.accuracy(qnet, model.getNDManager(), test), quantized);
        }
    }

    private static Model newModel() {
        Model model = Model.newInstance("cnn");
        model.setBlock(CompactCnn.build(10));
        return model;
    }
}
