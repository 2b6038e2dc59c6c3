package ai.djl.quant.benchmarks;

import ai.djl.Model;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.quant.Quantization;
import ai.djl.quant.QuantizationConfig;
import ai.djl.quant.data.FashionMnistDataset;
import ai.djl.quant.export.CostReport;
import ai.djl.quant.nn.QuantizedNetwork;
import ai.djl.quant.quantizers.QuantizerSpec;
import ai.djl.quant.quantizers.ShiftQuantizer;
import ai.djl.quant.training.Checkpoints;
import ai.djl.quant.training.ClassifierEvaluation;
import ai.djl.quant.training.ClassifierTraining;
import ai.djl.quant.training.EpochHistory;
import ai.djl.quant.training.LambdaScheduleListener;
import ai.djl.quant.training.ShiftRecipe;
import ai.djl.quant.zoo.cv.ResNet18;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.optimizer.Optimizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * The shift-quantizer paper's experiment on Fashion-MNIST: an fp32 ResNet18 (3×3 stride-2 stem) is
 * trained, then fine-tuned for the same extra epochs as fp32 and with the shift recipe (3×3
 * convolutions of the residual stages, SGD momentum 0.9, no weight decay, the reference λ
 * schedule compressed into the fine-tuning epochs), and every model is evaluated on the full 10k
 * test set in hard mode (λ = 0), next to the accuracy at the last λ, with model bytes and shift-adds
 * per image from the {@link CostReport} (written as JSON next to the results) and the {@link
 * Charts#fineTuning charts}.
 *
 * <p>Long-running: the fp32 base is checkpointed every epoch and each fine-tuned variant's result
 * is stored as it completes, so a killed run resumes where it stopped.
 *
 * <p>Arguments: {@code [baseEpochs=4] [fineTuneEpochs=1] [workDir=runs/shift]
 * [baseDir=runs/base/resnet18|zoo] [rows=all]} (the base is shared with {@link NHotBenchmark}; {@code zoo}:
 * the zoo's shipped fp32 model, with baseEpochs 12; rows: 0-based indexes of the table,
 * comma-separated, fp32 always included: {@code 0,1,2,3,4} are the five models, 5 and 6
 * our nearest-in-log rounding).
 */
public final class ShiftBenchmark {

    private static final int BATCH = BenchmarkSupport.BATCH;
    private static final Shape INPUT = BenchmarkSupport.INPUT;
    private static final Supplier<Block> RESNET = () -> ResNet18.builder().build();
    /** Our option: nearest rounding in the log domain instead of the reference's ceiling. */
    private static final QuantizerSpec NEAREST =
            ShiftQuantizer.spec(ShiftQuantizer.Grid.SHIFT, 3, ShiftQuantizer.Rounding.NEAREST, true);

    private record Variant(String name, QuantizationConfig config) {}

    private ShiftBenchmark() {}

    public static void main(String[] args) throws Exception {
        int baseEpochs = args.length > 0 ? Integer.parseInt(args[0]) : 4;
        int tuneEpochs = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        Path work = Paths.get(args.length > 2 ? args[2] : "runs/shift").toAbsolutePath();
        Files.createDirectories(work);

        FashionMnistDataset train = FashionMnistDataset.trainingSet(BATCH);
        FashionMnistDataset test = FashionMnistDataset.testSet(500);
        int steps = (int) ((train.size() + BATCH - 1) / BATCH);

        String baseDir = args.length > 3 ? args[3] : "runs/base/resnet18";
        Checkpoints base = BenchmarkSupport.base(baseDir, "resnet18", RESNET, train, baseEpochs);

        List<Variant> variants =
                List.of(
                        new Variant("fp32", null),
                        new Variant("shift s=2, W only", ShiftRecipe.shift(2, false)),
                        new Variant("shift s=2, W+A", ShiftRecipe.shift(2, true)),
                        new Variant("uniform 4-bit, W+A", ShiftRecipe.config(ShiftQuantizer.uniformSpec(4), ShiftQuantizer.uniformSpec(4))),
                        new Variant("binary (s=0), W only", ShiftRecipe.shift(0, false)),
                        new Variant("shift s=2, W only, nearest", ShiftRecipe.config(NEAREST, null)),
                        new Variant("shift s=2, W+A, nearest", ShiftRecipe.config(NEAREST, NEAREST)));
        StringBuilder table = new StringBuilder();
        table.append("| model | top-1 % hard | vs fp32 | top-1 % at λ | model bytes | shift-adds / image | epochs | wall s |\n");
        table.append("|---|---|---|---|---|---|---|---|\n");
        List<Charts.Run> runs = new ArrayList<>();
        double fp32 = Double.NaN;
        for (int i : BenchmarkSupport.rows(args, 4, variants.size())) {
            Variant v = variants.get(i);
            Path result = work.resolve("result-" + i + "-e" + tuneEpochs + ".txt");
            Path history = work.resolve("history-" + i + "-e" + tuneEpochs + ".csv");
            Path cost = work.resolve("cost-" + i + "-e" + tuneEpochs + ".json");
            String[] f = BenchmarkSupport.cached(result, () -> fineTune(v, base, baseEpochs, train, test, tuneEpochs, steps, history, cost)).split(" ");
            double hard = Double.parseDouble(f[0]);
            fp32 = i == 0 ? hard : fp32;
            table.append(String.format(Locale.ROOT, "| %s | %s | %+.2f | %s | %s | %s | +%d | %s |%n", v.name(), f[0], hard - fp32, f[1],
                    f[3], i == 0 ? "—" : f[4], tuneEpochs, f[2]));
            runs.add(new Charts.Run(v.name().split("[ ,]")[0], v.name(), hard, Double.parseDouble(f[3]), i == 0 ? 0 : Double.parseDouble(f[4]),
                    history));
        }
        Charts.fineTuning("ResNet18", runs, work);
        System.out.printf(Locale.ROOT, "%nResNet18 (3x3 stride-2 stem), Fashion-MNIST, full 10k test set; fp32 base trained %d epochs, then each model fine-tuned %d epoch(s)%n", baseEpochs, tuneEpochs);
        System.out.print(table);
    }

    private static String fineTune(Variant v, Checkpoints base, int baseEpochs, FashionMnistDataset train, FashionMnistDataset test, int epochs, int steps,
            Path historyFile, Path costFile) throws Exception {
        System.out.printf("== fine-tuning: %s, %d epoch(s) ==%n", v.name(), epochs);
        EpochHistory history = BenchmarkSupport.freshHistory(historyFile);
        try (Model model = BenchmarkSupport.newModel("resnet18", RESNET)) {
            base.load(model, baseEpochs);
            Optimizer sgd = ClassifierTraining.sgdCosine(0.01f, 0f, epochs * steps);
            TrainingListener[] extra = {history};
            QuantizedNetwork qnet = null;
            LambdaScheduleListener lambda = null;
            if (v.config() != null) {
                qnet = Quantization.wrap(model.getBlock(), v.config());
                model.setBlock(qnet);
                lambda = new LambdaScheduleListener(qnet, ShiftRecipe.schedule(epochs), steps);
                extra = new TrainingListener[] {history, lambda};
            }
            double seconds = ClassifierTraining.fit(model, train, epochs, ClassifierTraining.config(sgd, true, extra), INPUT);
            double atLambda = ClassifierEvaluation.accuracy(model.getBlock(), model.getNDManager(), test);
            double hard = atLambda;
            if (qnet != null) {
                qnet.setDeployMode(true);
                hard = ClassifierEvaluation.accuracy(qnet, model.getNDManager(), test);
                System.out.printf(Locale.ROOT, "%s: hard %.2f%%, at λ=%.4f %.2f%%%n", v.name(), 100 * hard, lambda.currentLambda(), 100 * atLambda);
            }
            CostReport report = CostReport.of(model.getBlock());
            Files.writeString(costFile, report.toJson());
            return String.format(Locale.ROOT, "%.2f %.2f %.0f %d %d%n", 100 * hard, 100 * atLambda, seconds, report.modelBytes(), report.shiftAdds());
        }
    }
}
