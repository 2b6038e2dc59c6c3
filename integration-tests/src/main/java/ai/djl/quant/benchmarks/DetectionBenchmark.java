package ai.djl.quant.benchmarks;

import ai.djl.Model;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.quant.Quantization;
import ai.djl.quant.QuantizationConfig;
import ai.djl.quant.data.FashionMnistScenes;
import ai.djl.quant.export.CostReport;
import ai.djl.quant.nn.QuantizedNetwork;
import ai.djl.quant.quantizers.LsqQuantizer;
import ai.djl.quant.training.Checkpoints;
import ai.djl.quant.training.CocoEvaluator;
import ai.djl.quant.training.EpochHistory;
import ai.djl.quant.training.FineTuning;
import ai.djl.quant.training.NHotRecipe;
import ai.djl.quant.zoo.ZooEvaluation;
import ai.djl.quant.zoo.cv.CenterNet;
import ai.djl.quant.zoo.detection.CenterNetLoss;
import ai.djl.quant.zoo.detection.CenterNetTraining;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Locale;

/**
 * CenterNet (MobileNetV2 backbone) on Fashion-MNIST scenes: trains the fp32 detector from scratch
 * (Adam, cosine learning rate, checkpoint per epoch, resumable), then fine-tunes uniform W8A8 (LSQ)
 * and n-hot(8,2) W+A with the two-stage recipe from it, and prints mAP@[.5:.95], mAP@.5, model
 * bytes, weight bytes, shift-adds and BOPs per image for each, with the cost report of each model
 * written as JSON. The first convolution and the heads' output convolutions stay float.
 *
 * <p>Arguments: {@code [trainScenes=30000] [testScenes=2000] [fp32Epochs=10] [stage1=2] [stage2=2]
 * [workDir=runs/centernet]}.
 */
public final class DetectionBenchmark {

    private static final int BATCH = 32;
    private static final int CLASSES = 10;

    private DetectionBenchmark() {}

    public static void main(String[] args) throws Exception {
        int trainScenes = args.length > 0 ? Integer.parseInt(args[0]) : 30_000;
        int testScenes = args.length > 1 ? Integer.parseInt(args[1]) : 2_000;
        int epochs = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        int stage1 = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        int stage2 = args.length > 4 ? Integer.parseInt(args[4]) : 2;
        Path work = Paths.get(args.length > 5 ? args[5] : "runs/centernet").toAbsolutePath();
        Files.createDirectories(work);
        FashionMnistScenes train = FashionMnistScenes.builder().setSampling(BATCH, true).optScenes(trainScenes).build();
        train.prepare(null);
        FashionMnistScenes test = ZooEvaluation.testScenes(testScenes);
        Shape input = new Shape(BATCH, 1, train.getCanvas(), train.getCanvas());
        Checkpoints base = new Checkpoints(work.resolve("fp32"), "centernet");
        trainBase(base, train, input, epochs, work);

        String[] names = {"fp32", "uniform W8A8 (LSQ)", "n-hot(8,2) W+A"};
        StringBuilder table = new StringBuilder(
                "| model | epochs | mAP@[.5:.95] | mAP@.5 | model bytes | weight bytes | shift-adds / image | partial products / image | BOPs / image | wall s |\n"
                        + "|---|---|---|---|---|---|---|---|---|---|\n");
        String[][] fields = new String[names.length][];
        for (int v = 0; v < names.length; v++) {
            int variant = v;
            String[] f = BenchmarkSupport.cached(work.resolve("result-" + v + "-e" + stage1 + "-" + stage2 + ".txt"),
                    () -> run(variant, base, epochs, train, test, input, stage1, stage2, work)).split(" ");
            String tuned = v == 0 ? "" : v == 2 ? " +" + stage1 + "+" + stage2 : " +" + (stage1 + stage2);
            fields[v] = f;
            table.append(String.format(Locale.ROOT, "| %s | %d%s | %s | %s | %s | %s | %s | %s | %s | %s |%n", names[v], epochs, tuned,
                    f[0], f[1], f[2], f[3], f[4], BenchmarkSupport.field(f, 7), f[5], f[6]));
        }
        System.out.printf(Locale.ROOT, "%nCenterNet (MobileNetV2), Fashion-MNIST scenes %dx%d: %d train, %d test%n",
                train.getCanvas(), train.getCanvas(), trainScenes, testScenes);
        System.out.print(table);
        System.out.print(BenchmarkSupport.nHotAgainstUniform("n-hot(8,2) vs uniform W8A8 (mAP@[.5:.95])", fields[2], fields[1], 0, 100, 3, 4, 7));
    }

    private static void trainBase(Checkpoints base, FashionMnistScenes train, Shape input, int epochs, Path work) throws Exception {
        int from = base.latest().orElse(0);
        if (from >= epochs) {
            return;
        }
        System.out.printf("== CenterNet fp32: epochs %d..%d of %d ==%n", from + 1, epochs, epochs);
        try (Model model = Model.newInstance("centernet")) {
            model.setBlock(CenterNet.builder().build());
            if (from > 0) {
                base.load(model, from);
            }
            CenterNetTraining.fitFromScratch(model, train, input, epochs, base, from,
                    new EpochHistory(work.resolve("fp32").resolve("history.csv"), from));
        }
    }

    private static String run(int variant, Checkpoints base, int epochs, FashionMnistScenes train, FashionMnistScenes test, Shape input,
            int stage1, int stage2, Path work) throws Exception {
        long start = System.nanoTime();
        try (Model model = Model.newInstance("centernet")) {
            model.setBlock(CenterNet.builder().build());
            base.load(model, epochs);
            model.getBlock().initialize(model.getNDManager(), DataType.FLOAT32, input);
            CenterNetLoss loss = new CenterNetLoss(CLASSES);
            FineTuning first = new FineTuning(stage1, 1e-3f, 1e-5f, loss);
            FineTuning second = new FineTuning(stage2, 1e-3f, 1e-5f, loss);
            if (variant == 1) {
                QuantizedNetwork q = Quantization.wrap(model.getBlock(), QuantizationConfig.builder()
                        .setWeights(LsqQuantizer.spec(8)).optActivations(LsqQuantizer.spec(8))
                        .optKeepFirstFloat(true).optKeepLastFloat(true).optRule(CenterNet.headOutputsFloat()).build());
                model.setBlock(q);
                new FineTuning(stage1 + stage2, 1e-3f, 1e-5f, loss).run(model, q, train, input, true, 0);
            } else if (variant == 2) {
                NHotRecipe.fineTune(model, train, input, NHotRecipe.config(8, 2, CenterNet.headOutputsFloat()), first, second, true);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            if (model.getBlock() instanceof QuantizedNetwork q) {
                q.setDeployMode(true);
            }
            CocoEvaluator.Result r = CenterNetTraining.evaluate(model.getBlock(), model.getNDManager(), test, CLASSES);
            CostReport report = CostReport.of(model.getBlock());
            Files.writeString(work.resolve("cost-" + variant + ".json"), report.toJson());
            System.out.printf(Locale.ROOT, "variant %d: mAP@[.5:.95] %.4f, mAP@.5 %.4f%n%s", variant, r.map(), r.map50(), report.toTable());
            return String.format(Locale.ROOT, "%.4f %.4f %d %d %s %d %.0f %s", r.map(), r.map50(), report.modelBytes(), report.weightBytes(),
                    variant == 0 ? "—" : Long.toString(report.shiftAdds()), report.bitOperations(), seconds,
                    variant == 0 ? "—" : Long.toString(report.partialProducts()));
        }
    }
}
