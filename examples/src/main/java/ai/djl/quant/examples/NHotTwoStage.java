package ai.djl.quant.examples;

import ai.djl.Model;
import ai.djl.ndarray.types.Shape;
import ai.djl.quant.data.FashionMnistDataset;
import ai.djl.quant.export.CostReport;
import ai.djl.quant.nn.QuantizedNetwork;
import ai.djl.quant.training.ClassifierEvaluation;
import ai.djl.quant.training.ClassifierTraining;
import ai.djl.quant.training.FineTuning;
import ai.djl.quant.training.NHotRecipe;
import ai.djl.quant.zoo.cv.CompactCnn;
import java.util.Locale;

/**
 * Two-stage n-hot quantization of a small CNN: train fp32, fine-tune with uniform b-bit
 * quantizers (stage 1), move them to the n-hot(b, n) level set keeping the learned steps and
 * fine-tune again (stage 2); print the fp32 and the final accuracy and the cost report (bytes,
 * BOPs, shift-adds per layer).
 *
 * <p>Arguments: {@code [trainImages=60000] [fp32Epochs=2] [bits=8] [hot=2]}.
 */
public final class NHotTwoStage {

    private static final int BATCH = 128;
    private static final Shape INPUT = new Shape(BATCH, 1, 28, 28);

    private NHotTwoStage() {}

    public static void main(String[] args) throws Exception {
        int images = args.length > 0 ? Integer.parseInt(args[0]) : 60000;
        int epochs = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int bits = args.length > 2 ? Integer.parseInt(args[2]) : 8;
        int hot = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        FashionMnistDataset train = FashionMnistDataset.builder().setSampling(BATCH, true).optLimitImages(images).optAugment(true).build();
        FashionMnistDataset test = FashionMnistDataset.testSet(1000);
        int steps = (int) ((train.size() + BATCH - 1) / BATCH);
        try (Model model = Model.newInstance("cnn")) {
            model.setBlock(CompactCnn.build(10));
            ClassifierTraining.fit(model, train, epochs,
                    ClassifierTraining.config(ClassifierTraining.sgdCosine(0.1f, 5e-4f, epochs * steps), true), INPUT);
            System.out.printf(Locale.ROOT, "fp32: %.2f %%%n", 100 * ClassifierEvaluation.accuracy(model.getBlock(), model.getNDManager(), test));
            QuantizedNetwork network = NHotRecipe.fineTune(model, train, INPUT, bits, hot,
                    new FineTuning(1, 0.01f, 1e-4f), new FineTuning(1, 0.01f, 1e-4f), true);
            network.setDeployMode(true);
            System.out.printf(Locale.ROOT, "n-hot(%d,%d) W+A after two stages: %.2f %%%n", bits, hot,
                    100 * ClassifierEvaluation.accuracy(network, model.getNDManager(), test));
            System.out.print(CostReport.of(network).toTable());
        }
    }
}
