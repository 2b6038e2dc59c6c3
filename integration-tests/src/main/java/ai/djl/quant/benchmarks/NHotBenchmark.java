package ai.djl.quant.benchmarks;

import ai.djl.Model;
import ai.djl.nn.Block;
import ai.djl.quant.Quantization;
import ai.djl.quant.QuantizationConfig;
import ai.djl.quant.data.FashionMnistDataset;
import ai.djl.quant.export.CostReport;
import ai.djl.quant.nn.QuantizedNetwork;
import ai.djl.quant.quantizers.LsqQuantizer;
import ai.djl.quant.training.Checkpoints;
import ai.djl.quant.training.ClassifierEvaluation;
import ai.djl.quant.training.ClassifierTraining;
import ai.djl.quant.training.EpochHistory;
import ai.djl.quant.training.FineTuning;
import ai.djl.quant.training.NHotRecipe;
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
 * n-hot against uniform quantization on Fashion-MNIST: from one fp32 base, fine-tune fp32, uniform
 * W8A8 and W4A4 (LSQ) for {@code stage1 + stage2} epochs, and n-hot(8,2) and n-hot(4,2) with the
 * two-stage recipe (stage 1 uniform, stage 2 n-hot); print accuracy on the full 10k test set, model
 * and weight bytes, shift-add operations, non-zero-weight MACs (the floor of any shift-add count),
 * multiplier partial products and BOPs per image (the {@link CostReport} of each model
 * is written next to the results as JSON). The first convolution and the classifier stay float.
 *
 * <p>Resumable: the base is checkpointed per epoch and each variant's result is stored when done.
 *
 * <p>Arguments: {@code [arch=resnet18|mobilenetv2] [baseEpochs=4] [stage1=1] [stage2=1]
 * [baseDir=runs/base/<arch>|zoo] [workDir=runs/nhot-<arch>] [rows=all]} ({@code zoo}: the zoo's
 * shipped fp32 model as the base, with baseEpochs 12; rows as 0-based indexes of the table,
 * comma-separated, fp32 always included: {@code 0,1,2} is the 8-bit comparison alone).
 */
public final class NHotBenchmark {

    private NHotBenchmark() {}

    public static void main(String[] args) throws Exception {
        String arch = args.length > 0 ? args[0] : "resnet18";
        int baseEpochs = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        int stage1 = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        int stage2 = args.length > 3 ? Integer.parseInt(args[3]) : 1;
        String baseDir = args.length > 4 ? args[4] : "runs/base/" + arch;
        Path work = Paths.get(args.length > 5 ? args[5] : "runs/nhot-" + arch).toAbsolutePath();
        Files.createDirectories(work);
        Supplier<Block> architecture =
                switch (arch) {
                    case "resnet18" -> () -> ResNet18.builder().build();
                    case "mobilenetv2" -> () -> MobileNetV2.builder().build();
                    default -> throw new IllegalArgumentException("unknown architecture " + arch + "; use resnet18 or mobilenetv2");
                };

        FashionMnistDataset train = FashionMnistDataset.trainingSet(BenchmarkSupport.BATCH);
        FashionMnistDataset test = FashionMnistDataset.testSet(500);
        Checkpoints base = BenchmarkSupport.base(baseDir, arch, architecture, train, baseEpochs);

        String[] names = {"fp32", "uniform W8A8 (LSQ)", "n-hot(8,2) W+A", "uniform W4A4 (LSQ)", "n-hot(4,2) W+A"};
        StringBuilder table = new StringBuilder();
        table.append("| model | epochs | top-1 % | model bytes | weight bytes | shift-adds / image | non-zero-weight MACs / image | partial products / image | BOPs / image | wall s |\n");
        table.append("|---|---|---|---|---|---|---|---|---|---|\n");
        String[][] fields = new String[names.length][];
        int epochs = stage1 + stage2;
        List<Charts.Run> runs = new ArrayList<>();
        for (int i : BenchmarkSupport.rows(args, 6, names.length)) {
            int variant = i;
            Path result = work.resolve("result-" + i + "-e" + stage1 + "-" + stage2 + ".txt");
            String[] f =
                    BenchmarkSupport.cached(
                                    result,
                                    () -> run(variant, names[variant], arch, architecture, base, baseEpochs, train, test, stage1, stage2, work))
                            .split(" ");
            String stages = i == 2 || i == 4 ? stage1 + "+" + stage2 : Integer.toString(epochs);
            fields[i] = f;
            table.append(String.format(Locale.ROOT, "| %s | +%s | %s | %s | %s | %s | %s | %s | %s | %s |%n", names[i], stages, f[0], f[1], f[2], f[3],
                    BenchmarkSupport.field(f, 7), BenchmarkSupport.field(f, 6), f[4], f[5]));
            runs.add(new Charts.Run(names[i].split("[ (]")[0], names[i], Double.parseDouble(f[0]), Double.parseDouble(f[1]),
                    "—".equals(f[3]) ? 0 : Double.parseDouble(f[3]), history(work, i, stage1, stage2)));
        }
        Charts.fineTuning(arch, runs, work);
        System.out.printf(Locale.ROOT, "%n%s, Fashion-MNIST, full 10k test set; fp32 base %d epochs, then fine-tuning%n", arch, baseEpochs);
        System.out.print(table);
        if (fields[1] != null && fields[2] != null) {
            System.out.print(BenchmarkSupport.nHotAgainstUniform("n-hot(8,2) vs uniform W8A8", fields[2], fields[1], 0, 1, 2, 3, 6));
            System.out.print(BenchmarkSupport.shiftAddFloor("n-hot(8,2)", fields[2], "uniform W8A8", fields[1], 3, 7));
        }
        if (fields[3] != null && fields[4] != null) {
            System.out.print(BenchmarkSupport.nHotAgainstUniform("n-hot(4,2) vs uniform W4A4", fields[4], fields[3], 0, 1, 2, 3, 6));
            System.out.print(BenchmarkSupport.shiftAddFloor("n-hot(4,2)", fields[4], "uniform W4A4", fields[3], 3, 7));
        }
    }

    private static Path history(Path work, int variant, int stage1, int stage2) {
        return work.resolve("history-" + variant + "-e" + stage1 + "-" + stage2 + ".csv");
    }

    private static String run(
            int variant, String name, String arch, Supplier<Block> architecture, Checkpoints base, int baseEpochs,
            FashionMnistDataset train, FashionMnistDataset test, int stage1, int stage2, Path work) throws Exception {
        System.out.printf("== %s: %s ==%n", arch, name);
        int steps = (int) ((train.size() + BenchmarkSupport.BATCH - 1) / BenchmarkSupport.BATCH);
        FineTuning first = new FineTuning(stage1, 0.01f, 1e-4f);
        FineTuning second = new FineTuning(stage2, 0.01f, 1e-4f);
        FineTuning both = new FineTuning(stage1 + stage2, 0.01f, 1e-4f);
        EpochHistory history = BenchmarkSupport.freshHistory(history(work, variant, stage1, stage2));
        long start = System.nanoTime();
        try (Model model = BenchmarkSupport.newModel(arch, architecture)) {
            base.load(model, baseEpochs);
            switch (variant) {
                case 0 -> ClassifierTraining.fit(model, train, both.epochs(),
                        ClassifierTraining.config(ClassifierTraining.sgdCosine(0.01f, 1e-4f, both.epochs() * steps), true, history),
                        BenchmarkSupport.INPUT);
                case 1, 3 -> {
                    int bits = variant == 1 ? 8 : 4;
                    QuantizationConfig config = QuantizationConfig.builder()
                            .setWeights(LsqQuantizer.spec(bits)).optActivations(LsqQuantizer.spec(bits))
                            .optKeepFirstFloat(true).optKeepLastFloat(true).build();
                    QuantizedNetwork qnet = Quantization.wrap(model.getBlock(), config);
                    model.setBlock(qnet);
                    both.run(model, qnet, train, BenchmarkSupport.INPUT, true, 0, history);
                }
                default -> NHotRecipe.fineTune(model, train, BenchmarkSupport.INPUT, NHotRecipe.config(variant == 2 ? 8 : 4, 2),
                        first, second, true, history);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            if (model.getBlock() instanceof QuantizedNetwork qnet) {
                qnet.setDeployMode(true);
            }
            double accuracy = ClassifierEvaluation.accuracy(model.getBlock(), model.getNDManager(), test);
            CostReport report = CostReport.of(model.getBlock());
            Files.writeString(work.resolve("cost-" + variant + ".json"), report.toJson());
            String shiftAdds = variant == 0 ? "—" : Long.toString(report.shiftAdds());
            String partialProducts = variant == 0 ? "—" : Long.toString(report.partialProducts());
            String nonZeroWeightMacs = variant == 0 ? "—" : Long.toString(report.nonZeroWeightMacs());
            System.out.printf(Locale.ROOT, "%s: %.2f%%%n%s", name, 100 * accuracy, report.toTable());
            return String.format(Locale.ROOT, "%.2f %d %d %s %d %.0f %s %s%n", 100 * accuracy, report.modelBytes(), report.weightBytes(),
                    shiftAdds, report.bitOperations(), seconds, partialProducts, nonZeroWeightMacs);
        }
    }
}
