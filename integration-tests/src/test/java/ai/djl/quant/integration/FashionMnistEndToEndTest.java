package ai.djl.quant.integration;

import ai.djl.Model;
import ai.djl.ndarray.types.Shape;
import ai.djl.quant.Quantization;
import ai.djl.quant.QuantizationConfig;
import ai.djl.quant.data.FashionMnistDataset;
import ai.djl.quant.nn.QuantizedNetwork;
import ai.djl.quant.quantizers.LloydMax;
import ai.djl.quant.quantizers.LsqQuantizer;
import ai.djl.quant.training.ClassifierEvaluation;
import ai.djl.quant.training.ClassifierTraining;
import ai.djl.quant.training.FineTuning;
import ai.djl.quant.zoo.cv.CompactCnn;
import java.nio.file.Files;
import java.nio.file.Path;
import org.testng.Assert;
import org.testng.annotations.BeforeClass;
import org.testng.annotations.Test;

/**
 * End to end on the real Fashion-MNIST, from one CNN trained two epochs in fp32 (once per run):
 * fine-tuned one epoch with LSQ W4A4 it must end within 1.0 point of the same CNN fine-tuned one
 * epoch in fp32, on the full 10k test set, and survive save and load unchanged; and Lloyd-Max
 * levels must fit its trained weights better than a uniform grid.
 */
public class FashionMnistEndToEndTest {

    private static final int BATCH = 128;
    private static final Shape INPUT = new Shape(BATCH, 1, 28, 28);

    private FashionMnistDataset train;
    private FashionMnistDataset test;
    private Path dir;
    private int steps;

    @BeforeClass
    public void trainFp32Base() throws Exception {
        train = FashionMnistDataset.trainingSet(BATCH);
        test = FashionMnistDataset.testSet(1000);
        steps = (int) ((train.size() + BATCH - 1) / BATCH);
        dir = Files.createTempDirectory("fmnist-e2e");
        try (Model model = newModel()) {
            ClassifierTraining.fit(model, train, 2, ClassifierTraining.config(ClassifierTraining.sgdCosine(0.1f, 5e-4f, 2 * steps), false), INPUT);
            model.save(dir, "cnn");
        }
    }

    @Test
    public void lloydMaxFitsTrainedWeightsBetterThanAUniformGrid() throws Exception {
        try (Model model = newModel()) {
            model.load(dir, "cnn");
            // the third convolution (32 -> 64 channels), per output channel, 4 bits
            float[] w = model.getBlock().getChildren().get("07Conv2d").getDirectParameters().get("weight").getArray().toFloatArray();
            int channels = 64;
            int perChannel = w.length / channels;
            double lloyd = 0;
            double uniform = 0;
            for (int c = 0; c < channels; c++) {
                float[] row = java.util.Arrays.copyOfRange(w, c * perChannel, (c + 1) * perChannel);
                lloyd += LloydMax.meanSquaredError(row, LloydMax.levels(row, 16, 50));
                // LSQ's uniform initialisation: step 2·mean|w|/sqrt(Qp), levels -8..7
                double meanAbs = 0;
                for (float v : row) {
                    meanAbs += Math.abs(v) / row.length;
                }
                float step = (float) (2 * meanAbs / Math.sqrt(7));
                float[] grid = new float[16];
                for (int k = 0; k < 16; k++) {
                    grid[k] = (k - 8) * step;
                }
                uniform += LloydMax.meanSquaredError(row, grid);
            }
            System.out.printf("weight MSE, 4 bits per channel: Lloyd-Max %.3g, uniform %.3g%n", lloyd / channels, uniform / channels);
            Assert.assertTrue(lloyd < uniform, lloyd + " vs " + uniform);
        }
    }

    @Test
    public void w4a4WithinOnePointOfFp32() throws Exception {
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
            new FineTuning(1, 0.01f, 1e-4f).run(model, qnet, train, INPUT, false);
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
