package ai.djl.quant.examples;

import ai.djl.Model;
import ai.djl.ndarray.types.Shape;
import ai.djl.quant.LayerSelector;
import ai.djl.quant.Quantization;
import ai.djl.quant.QuantizationConfig;
import ai.djl.quant.data.FashionMnistDataset;
import ai.djl.quant.export.ModelSize;
import ai.djl.quant.nn.QuantizedNetwork;
import ai.djl.quant.quantizers.ShiftQuantizer;
import ai.djl.quant.training.ClassifierEvaluation;
import ai.djl.quant.training.ClassifierTraining;
import ai.djl.quant.training.LambdaSchedule;
import ai.djl.quant.training.LambdaScheduleListener;
import ai.djl.quant.training.QuantizationOptimizer;
import ai.djl.quant.zoo.cv.CompactCnn;
import ai.djl.training.dataset.Dataset;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The quick start: train a small CNN in fp32 on Fashion-MNIST, then fine-tune it for the same
 * extra epochs twice — once in fp32, once wrapped with the shift quantizer (weights and inputs,
 * s = 2: ±{1, 1/2, 1/4, 1/8}) — and print accuracy on the full 10k test set, deployed size and
 * training-step time of both.
 *
 * <p>Arguments: {@code [fp32Epochs=3] [fineTuneEpochs=1] [shiftBits=2]}.
 */
public final class ShiftQuickStart {

    private static final int BATCH = 128;
    private static final Shape INPUT = new Shape(BATCH, 1, 28, 28);

    private ShiftQuickStart() {}

    public static void main(String[] args) throws Exception {
        int fp32Epochs = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        int fineTuneEpochs = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        int shiftBits = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        long start = System.nanoTime();

        FashionMnistDataset train =
                FashionMnistDataset.builder().optUsage(Dataset.Usage.TRAIN).optAugment(true).setSampling(BATCH, true).build();
        FashionMnistDataset test =
                FashionMnistDataset.builder().optUsage(Dataset.Usage.TEST).setSampling(1000, false).build();
        train.prepare(null);
        test.prepare(null);
        int stepsPerEpoch = (int) ((train.size() + BATCH - 1) / BATCH);

        Path base = Files.createTempDirectory("djl-quant-quickstart");
        System.out.printf("== fp32 training, %d epochs ==%n", fp32Epochs);
        try (Model model = Model.newInstance("cnn")) {
            model.setBlock(CompactCnn.build(10));
            Optimizer sgd = ClassifierTraining.sgdCosine(0.1f, 5e-4f, fp32Epochs * stepsPerEpoch);
            ClassifierTraining.fit(model, train, fp32Epochs, ClassifierTraining.config(sgd, true), INPUT);
            model.save(base, "cnn");
        }

        List<String[]> rows = new ArrayList<>();
        System.out.printf("== fp32 fine-tuning, %d epoch(s) ==%n", fineTuneEpochs);
        try (Model model = loadBase(base)) {
            Optimizer sgd = ClassifierTraining.sgdCosine(0.01f, 0f, fineTuneEpochs * stepsPerEpoch);
            double seconds = ClassifierTraining.fit(model, train, fineTuneEpochs, ClassifierTraining.config(sgd, true), INPUT);
            double acc = ClassifierEvaluation.accuracy(model.getBlock(), model.getNDManager(), test);
            double step = ClassifierTraining.stepSeconds(model, ClassifierTraining.sgdCosine(0.01f, 0f, 100), INPUT, 10, 3, 15);
            rows.add(row("fp32", acc, Double.NaN, ModelSize.bytes(model.getBlock()), step, 1.0, seconds));
        }

        System.out.printf("== shift s=%d W+A fine-tuning, %d epoch(s) ==%n", shiftBits, fineTuneEpochs);
        try (Model model = loadBase(base)) {
            QuantizationConfig config =
                    QuantizationConfig.builder()
                            .setWeights(ShiftQuantizer.shiftSpec(shiftBits))
                            .optActivations(ShiftQuantizer.shiftSpec(shiftBits))
                            .optScope(LayerSelector.kernel("3x3"))
                            .optKeepFirstFloat(true)
                            .build();
            QuantizedNetwork qnet = Quantization.wrap(model.getBlock(), config);
            model.setBlock(qnet);
            System.out.println(qnet.summary());
            int steps = fineTuneEpochs * stepsPerEpoch;
            // λ halves eight times over the fine-tuning: the 15-epoch reference, compressed
            LambdaScheduleListener lambda =
                    new LambdaScheduleListener(qnet, LambdaSchedule.halving(fineTuneEpochs / 8.0, fineTuneEpochs / 8.0, 0f), stepsPerEpoch);
            Optimizer optimizer = QuantizationOptimizer.of(qnet, ClassifierTraining.sgdCosine(0.01f, 0f, steps), Tracker.fixed(0.001f));
            double seconds = ClassifierTraining.fit(model, train, fineTuneEpochs, ClassifierTraining.config(optimizer, true, lambda), INPUT);
            float lambdaEnd = lambda.currentLambda();
            double soft = ClassifierEvaluation.accuracy(qnet, model.getNDManager(), test);
            qnet.setDeployMode(true);
            double hard = ClassifierEvaluation.accuracy(qnet, model.getNDManager(), test);
            qnet.setDeployMode(false);
            try (Model fp32 = loadBase(base)) {
                double fp32Step = ClassifierTraining.stepSeconds(fp32, ClassifierTraining.sgdCosine(0.01f, 0f, 100), INPUT, 10, 3, 15);
                double qStep = ClassifierTraining.stepSeconds(model, QuantizationOptimizer.of(qnet, ClassifierTraining.sgdCosine(0.01f, 0f, 100), Tracker.fixed(0.001f)), INPUT, 10, 3, 15);
                rows.add(row("shift s=" + shiftBits + " W+A (hard, λ=0)", hard, soft, ModelSize.bytes(qnet), qStep, qStep / fp32Step, seconds));
                System.out.printf(Locale.ROOT, "accuracy at the last λ (%.4f): %.2f%%%n", lambdaEnd, 100 * soft);
            }
        }

        System.out.println();
        System.out.printf("Fashion-MNIST, full 10k test set; CompactCnn trained %d fp32 epochs, then %d more epoch(s)%n", fp32Epochs, fineTuneEpochs);
        String format = "| %-28s | %9s | %13s | %11s | %12s | %10s | %8s |%n";
        System.out.printf(format, "model", "top-1 %", "top-1 % (λ)", "bytes", "step ms (b128)", "step ratio", "tune s");
        System.out.printf(format, "---", "---", "---", "---", "---", "---", "---");
        for (String[] r : rows) {
            System.out.printf(format, (Object[]) r);
        }
        System.out.printf(Locale.ROOT, "total wall time %.0f s%n", (System.nanoTime() - start) / 1e9);
    }

    private static Model loadBase(Path dir) throws Exception {
        Model model = Model.newInstance("cnn");
        model.setBlock(CompactCnn.build(10));
        model.load(dir, "cnn");
        return model;
    }


    private static String[] row(String name, double acc, double soft, long bytes, double step, double ratio, double seconds) {
        return new String[] {
            name,
            String.format(Locale.ROOT, "%.2f", 100 * acc),
            Double.isNaN(soft) ? "—" : String.format(Locale.ROOT, "%.2f", 100 * soft),
            String.valueOf(bytes),
            String.format(Locale.ROOT, "%.1f", 1000 * step),
            String.format(Locale.ROOT, "%.3f", ratio),
            String.format(Locale.ROOT, "%.0f", seconds)
        };
    }
}
