package ai.djl.quant.examples;

import ai.djl.Model;
import ai.djl.ndarray.types.Shape;
import ai.djl.quant.Quantization;
import ai.djl.quant.data.FashionMnistDataset;
import ai.djl.quant.export.ModelSize;
import ai.djl.quant.nn.QuantizedNetwork;
import ai.djl.quant.training.ClassifierEvaluation;
import ai.djl.quant.training.ClassifierTraining;
import ai.djl.quant.training.FineTuning;
import ai.djl.quant.training.LambdaScheduleListener;
import ai.djl.quant.training.ShiftRecipe;
import ai.djl.quant.zoo.cv.CompactCnn;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The shift-quantizer paper's set-up by name ({@link ShiftRecipe}): train a small CNN in fp32, then
 * fine-tune copies of it with the shift quantizer on the 3×3 convolutions of its stages (stem and
 * classifier float), weights only and weights plus inputs, SGD with momentum 0.9, no weight decay
 * and λ following the reference 15-epoch schedule compressed into the fine-tuning epochs; print
 * each model's accuracy in hard mode (λ = 0) next to the accuracy at the last λ, and its size.
 *
 * <p>Arguments: {@code [trainImages=60000] [fp32Epochs=2] [fineTuneEpochs=1] [shiftBits=2]}.
 */
public final class ShiftPaperRecipe {

    private static final int BATCH = 128;
    private static final Shape INPUT = new Shape(BATCH, 1, 28, 28);

    private ShiftPaperRecipe() {}

    public static void main(String[] args) throws Exception {
        int images = args.length > 0 ? Integer.parseInt(args[0]) : 60000;
        int epochs = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int tuneEpochs = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        int shiftBits = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        FashionMnistDataset train = FashionMnistDataset.builder().setSampling(BATCH, true).optLimitImages(images).optAugment(true).build();
        FashionMnistDataset test = FashionMnistDataset.testSet(1000);
        int steps = (int) ((train.size() + BATCH - 1) / BATCH);
        Path dir = Files.createTempDirectory("shift-recipe");
        try (Model base = Model.newInstance("cnn")) {
            base.setBlock(CompactCnn.build(10));
            ClassifierTraining.fit(base, train, epochs,
                    ClassifierTraining.config(ClassifierTraining.sgdCosine(0.1f, 5e-4f, epochs * steps), true), INPUT);
            System.out.printf(Locale.ROOT, "fp32 after %d epochs: %.2f %%, %d bytes%n", epochs,
                    100 * ClassifierEvaluation.accuracy(base.getBlock(), base.getNDManager(), test), ModelSize.bytes(base.getBlock()));
            base.save(dir, "cnn");
            for (boolean activations : new boolean[] {false, true}) {
                try (Model model = Model.newInstance("cnn")) {
                    model.setBlock(CompactCnn.build(10));
                    model.load(dir, "cnn"); // the same fp32 weights for both variants
                    QuantizedNetwork network = Quantization.wrap(model.getBlock(), ShiftRecipe.shift(shiftBits, activations));
                    model.setBlock(network);
                    LambdaScheduleListener lambda = new LambdaScheduleListener(network, ShiftRecipe.schedule(tuneEpochs), steps);
                    new FineTuning(tuneEpochs, 0.01f, 0f).run(model, network, train, INPUT, true, 0, lambda);
                    double atLambda = ClassifierEvaluation.accuracy(network, model.getNDManager(), test);
                    network.setDeployMode(true);
                    double hard = ClassifierEvaluation.accuracy(network, model.getNDManager(), test);
                    System.out.printf(Locale.ROOT, "shift s=%d %s, +%d epoch(s): %.2f %% hard, %.2f %% at λ=%.4f, %d bytes%n", shiftBits,
                            activations ? "W+A" : "W only", tuneEpochs, 100 * hard, 100 * atLambda, lambda.currentLambda(),
                            ModelSize.bytes(network));
                }
            }
        }
    }
}
