package ai.djl.quant.benchmarks;

import ai.djl.Model;
import ai.djl.nn.Block;
import ai.djl.quant.Quantization;
import ai.djl.quant.QuantizationConfig;
import ai.djl.quant.data.FashionMnistDataset;
import ai.djl.quant.export.CostReport;
import ai.djl.quant.nn.QuantizedNetwork;
import ai.djl.quant.quantizers.ChannelBalancedQuantizer;
import ai.djl.quant.quantizers.LearnedLevelsQuantizer;
import ai.djl.quant.quantizers.LsqQuantizer;
import ai.djl.quant.quantizers.QuantizerSpec;
import ai.djl.quant.training.Checkpoints;
import ai.djl.quant.training.ClassifierEvaluation;
import ai.djl.quant.training.ClassifierTraining;
import ai.djl.quant.training.EpochHistory;
import ai.djl.quant.training.FineTuning;
import ai.djl.quant.zoo.cv.MobileNetV2;
import ai.djl.quant.zoo.cv.ResNet18;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * Direct quantization with learnable levels and the channel-balanced activation clip against LSQ
 * at the same bits (W4A4, W2A2), from one fp32 base, fine-tuned the same epochs; accuracy on the
 * full 10k Fashion-MNIST test set next to the fp32 model fine-tuned the same epochs. The first
 * convolution and the classifier stay float. Prints model bytes and shift-adds per image (the {@link
 * CostReport}, written as JSON next to the results) and draws the {@link Charts#fineTuning charts}.
 *
 * <p>Arguments: {@code [arch=resnet18|mobilenetv2] [baseEpochs=4] [epochs=2]
 * [baseDir=runs/base/<arch>|zoo] [workDir=runs/learned-<arch>] [rows=all]} ({@code zoo}: the zoo's
 * shipped fp32 model as the base, with baseEpochs 12; rows as 0-based indexes of the table,
 * comma-separated, fp32 always included: {@code 0,2} is fp32 and learned W4A4 alone).
 */
public final class LearnedLevelsBenchmark {

    private LearnedLevelsBenchmark() {}

    public static void main(String[] args) throws Exception {
        String arch = args.length > 0 ? args[0] : "resnet18";
        int baseEpochs = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        int epochs = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        String baseDir = args.length > 3 ? args[3] : "runs/base/" + arch;
        Path work = Paths.get(args.length > 4 ? args[4] : "runs/learned-" + arch).toAbsolutePath();
        Files.createDirectories(work);
        Supplier<Block> architecture =
                "mobilenetv2".equals(arch) ? () -> MobileNetV2.builder().build() : () -> ResNet18.builder().build();
        FashionMnistDataset train = FashionMnistDataset.trainingSet(BenchmarkSupport.BATCH);
        FashionMnistDataset test = FashionMnistDataset.testSet(500);
        Checkpoints base = BenchmarkSupport.base(baseDir, arch, architecture, train, baseEpochs);

        String[] names = {"fp32", "LSQ W4A4", "learned W4 + channel-balanced A4", "LSQ W2A2", "learned W2 + channel-balanced A2"};
        StringBuilder table = new StringBuilder(
                "| model | epochs | top-1 % | vs fp32 | model bytes | shift-adds / image | wall s |\n|---|---|---|---|---|---|---|\n");
        List<Charts.Run> runs = new ArrayList<>();
        double fp32 = Double.NaN;
        for (int i : BenchmarkSupport.rows(args, 5, names.length)) {
            int variant = i;
            Path result = work.resolve("result-" + i + "-e" + epochs + ".txt");
            String[] f = BenchmarkSupport.cached(result,
                    () -> run(variant, names[variant], arch, architecture, base, baseEpochs, train, test, epochs, history(work, variant, epochs)))
                    .split(" ");
            double accuracy = Double.parseDouble(f[0]);
            fp32 = i == 0 ? accuracy : fp32;
            table.append(String.format(Locale.ROOT, "| %s | +%d | %s | %+.2f | %s | %s | %s |%n", names[i], epochs, f[0], accuracy - fp32,
                    f[2], i == 0 ? "—" : f[3], f[1]));
            runs.add(new Charts.Run(names[i].split(" ")[0], names[i], accuracy, Double.parseDouble(f[2]),
                    i == 0 ? 0 : Double.parseDouble(f[3]), history(work, variant, epochs)));
        }
        Charts.fineTuning(arch, runs, work);
        System.out.printf(Locale.ROOT, "%n%s, Fashion-MNIST, full 10k test set; fp32 base %d epochs, then %d fine-tuning epochs%n", arch, baseEpochs, epochs);
        System.out.print(table);
    }

    private static Path history(Path work, int variant, int epochs) {
        return work.resolve("history-" + variant + "-e" + epochs + ".csv");
    }

    private static QuantizationConfig config(QuantizerSpec weights, QuantizerSpec activations) {
        return QuantizationConfig.builder().setWeights(weights).optActivations(activations).optKeepFirstFloat(true).optKeepLastFloat(true).build();
    }

    private static String run(int variant, String name, String arch, Supplier<Block> architecture, Checkpoints base, int baseEpochs,
            FashionMnistDataset train, FashionMnistDataset test, int epochs, Path historyFile) throws Exception {
        System.out.printf("== %s: %s ==%n", arch, name);
        int steps = (int) ((train.size() + BenchmarkSupport.BATCH - 1) / BenchmarkSupport.BATCH);
        EpochHistory history = BenchmarkSupport.freshHistory(historyFile);
        long start = System.nanoTime();
        try (Model model = BenchmarkSupport.newModel(arch, architecture)) {
            base.load(model, baseEpochs);
            if (variant == 0) {
                ClassifierTraining.fit(model, train, epochs,
                        ClassifierTraining.config(ClassifierTraining.sgdCosine(0.01f, 1e-4f, epochs * steps), true, history),
                        BenchmarkSupport.INPUT);
            } else {
                int bits = variant <= 2 ? 4 : 2;
                QuantizationConfig config = variant % 2 == 1
                        ? config(LsqQuantizer.spec(bits), LsqQuantizer.spec(bits))
                        : config(LearnedLevelsQuantizer.spec(bits), ChannelBalancedQuantizer.spec(bits, ChannelBalancedQuantizer.Objective.CHANNEL_BALANCED));
                QuantizedNetwork qnet = Quantization.wrap(model.getBlock(), config);
                model.setBlock(qnet);
                new FineTuning(epochs, 0.01f, 1e-4f).run(model, qnet, train, BenchmarkSupport.INPUT, true, 0, history);
                qnet.setDeployMode(true);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            double accuracy = ClassifierEvaluation.accuracy(model.getBlock(), model.getNDManager(), test);
            CostReport report = CostReport.of(model.getBlock());
            Files.writeString(historyFile.resolveSibling("cost-" + variant + "-e" + epochs + ".json"), report.toJson());
            System.out.printf(Locale.ROOT, "%s: %.2f%%%n%s", name, 100 * accuracy, report.toTable());
            return String.format(Locale.ROOT, "%.2f %.0f %d %d%n", 100 * accuracy, seconds, report.modelBytes(), report.shiftAdds());
        }
    }
}
