package ai.djl.quant.examples;

import ai.djl.Model;
import ai.djl.ndarray.types.Shape;
import ai.djl.quant.Quantization;
import ai.djl.quant.QuantizationConfig;
import ai.djl.quant.data.FashionMnistDataset;
import ai.djl.quant.export.ModelSize;
import ai.djl.quant.nn.QuantizedNetwork;
import ai.djl.quant.training.ClassifierEvaluation;
import ai.djl.quant.training.ClassifierTraining;
import ai.djl.quant.training.LambdaScheduleListener;
import ai.djl.quant.training.ShiftRecipe;
import ai.djl.quant.training.StepTimer;
import ai.djl.quant.training.StepTimes;
import ai.djl.quant.zoo.cv.CompactCnn;
import ai.djl.training.optimizer.Optimizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The quick start: train a small CNN in fp32 on Fashion-MNIST, then fine-tune it for the same
 * extra epochs twice — once in fp32, once wrapped with the shift quantizer (weights and inputs,
 * s = 2: ±{1, 1/2, 1/4, 1/8}) — and print accuracy on the full 10k test set, deployed size and
 * training-step time of both (taking turns; the step ratio paired in time, {@link StepTimes#pairedRatio}).
 *
 * <p>Arguments: {@code [fp32Epochs=2] [fineTuneEpochs=1] [shiftBits=2]}. The fp32 base trains with
 * a one-cycle learning rate (peak 0.4), which in two epochs comes within about half a point of
 * three cosine epochs, so that the whole run stays well under five minutes on 2 slow cores.
 */
public final class ShiftQuickStart {

    private static final int BATCH = 128;
    private static final Shape INPUT = new Shape(BATCH, 1, 28, 28);

    private ShiftQuickStart() {}

    public static void main(String[] args) throws Exception {
        int fp32Epochs = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        int fineTuneEpochs = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        int shiftBits = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        long start = System.nanoTime();

        FashionMnistDataset train = FashionMnistDataset.trainingSet(BATCH);
        FashionMnistDataset test = FashionMnistDataset.testSet(1000);
        int stepsPerEpoch = (int) ((train.size() + BATCH - 1) / BATCH);

        Path base = Files.createTempDirectory("djl-quant-quickstart");
        System.out.printf("== fp32 training, %d epochs ==%n", fp32Epochs);
        try (Model model = Model.newInstance("cnn")) {
            model.setBlock(CompactCnn.build(10));
            Optimizer sgd = ClassifierTraining.sgdOneCycle(0.4f, 5e-4f, fp32Epochs * stepsPerEpoch, 0);
            ClassifierTraining.fit(model, train, fp32Epochs, ClassifierTraining.config(sgd, true), INPUT);
            model.save(base, "cnn");
        }

        List<String[]> rows = new ArrayList<>();
        int steps = fineTuneEpochs * stepsPerEpoch;
        System.out.printf("== fp32 fine-tuning, %d epoch(s) ==%n", fineTuneEpochs);
        double fp32Accuracy;
        double fp32Seconds;
        long fp32Bytes;
        try (Model model = loadBase(base)) {
            Optimizer sgd = ClassifierTraining.sgdCosine(0.01f, 0f, steps);
            fp32Seconds = ClassifierTraining.fit(model, train, fineTuneEpochs, ClassifierTraining.config(sgd, true), INPUT);
            fp32Accuracy = ClassifierEvaluation.accuracy(model.getBlock(), model.getNDManager(), test);
            fp32Bytes = ModelSize.bytes(model.getBlock());
        }

        System.out.printf("== shift s=%d W+A fine-tuning, %d epoch(s) ==%n", shiftBits, fineTuneEpochs);
        QuantizationConfig config = ShiftRecipe.shift(shiftBits, true);
        double hard;
        double soft;
        double seconds;
        long bytes;
        try (Model model = loadBase(base)) {
            QuantizedNetwork qnet = Quantization.wrap(model.getBlock(), config);
            model.setBlock(qnet);
            System.out.println(qnet.summary());
            // the reference 15-epoch λ schedule, compressed into the fine-tuning
            LambdaScheduleListener lambda = new LambdaScheduleListener(qnet, ShiftRecipe.schedule(fineTuneEpochs), stepsPerEpoch);
            Optimizer sgd = ClassifierTraining.sgdCosine(0.01f, 0f, steps);
            seconds = ClassifierTraining.fit(model, train, fineTuneEpochs, ClassifierTraining.config(sgd, true, lambda), INPUT);
            soft = ClassifierEvaluation.accuracy(qnet, model.getNDManager(), test);
            qnet.setDeployMode(true);
            hard = ClassifierEvaluation.accuracy(qnet, model.getNDManager(), test);
            bytes = ModelSize.bytes(qnet);
            System.out.printf(Locale.ROOT, "accuracy at the last λ (%.4f): %.2f%%, hard (λ=0): %.2f%%%n", lambda.currentLambda(), 100 * soft, 100 * hard);
        }

        System.out.println("== training-step time, fp32 and quantized taking turns ==");
        StepTimes times = stepTimes(base, config);
        Map<String, Double> medians = times.medianSeconds();
        double fp32Step = medians.get("fp32");
        double shiftStep = medians.get("shift");
        rows.add(row("fp32", fp32Accuracy, Double.NaN, fp32Bytes, fp32Step, 1.0, fp32Seconds));
        rows.add(row("shift s=" + shiftBits + " W+A (hard, λ=0)", hard, soft, bytes, shiftStep, times.pairedRatio("shift", "fp32"), seconds));

        System.out.println();
        System.out.printf("Fashion-MNIST, full 10k test set; CompactCnn trained %d fp32 epochs, then %d more epoch(s)%n", fp32Epochs, fineTuneEpochs);
        String format = "| %-28s | %9s | %13s | %11s | %12s | %10s | %8s |%n";
        System.out.printf(format, "model", "top-1 %", "top-1 % (λ)", "bytes", "step ms b128", "step ratio", "tune s");
        System.out.printf(format, "---", "---", "---", "---", "---", "---", "---");
        for (String[] r : rows) {
            System.out.printf(format, (Object[]) r);
        }
        System.out.printf(Locale.ROOT, "total wall time %.0f s%n", (System.nanoTime() - start) / 1e9);
    }

    /**
     * Step times of the base model in fp32 and wrapped with {@code config}, the two taking turns
     * ({@link StepTimer}: 6 rounds of 4 steps each, the first round and each turn's first step untimed).
     */
    private static StepTimes stepTimes(Path base, QuantizationConfig config) throws Exception {
        try (Model fp32 = loadBase(base);
                Model shift = loadBase(base);
                StepTimer timer = new StepTimer(INPUT, 10)) {
            shift.setBlock(Quantization.wrap(shift.getBlock(), config));
            timer.add("fp32", fp32, ClassifierTraining.sgdCosine(0.01f, 0f, 100));
            timer.add("shift", shift, ClassifierTraining.sgdCosine(0.01f, 0f, 100));
            return timer.time(1, 5, 4);
        }
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
