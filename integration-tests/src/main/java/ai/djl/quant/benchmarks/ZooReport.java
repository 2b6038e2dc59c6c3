package ai.djl.quant.benchmarks;

import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.quant.export.CostReport;
import ai.djl.quant.zoo.ModelCard;
import ai.djl.quant.zoo.ZooArtifacts;
import ai.djl.quant.zoo.ZooEvaluation;
import ai.djl.quant.zoo.ZooVariant;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The zoo at a glance: prints the table of every built artifact's card (from the zoo jar) and draws
 * accuracy against model bytes and against shift-adds per image, plus the training curves recorded
 * by the zoo build, as PNG files. Then loads every quantized artifact through its Criteria and prints
 * its cost report's totals (weight bytes, NAF shift-adds, non-zero-weight MACs, multiplier partial
 * products) with each n-hot variant against the uniform variant of the same bit width, and how far
 * below that variant's shift-adds any shift-add count of the n-hot weights could go.
 *
 * <p>Arguments: {@code [chartDir=docs/images] [workDir=runs/zoo]}.
 */
public final class ZooReport {

    private ZooReport() {}

    public static void main(String[] args) throws Exception {
        Path charts = Paths.get(args.length > 0 ? args[0] : "docs/images");
        Path work = Paths.get(args.length > 1 ? args[1] : "runs/zoo");
        List<Charts.Point> bytes = new ArrayList<>();
        List<Charts.Point> shiftAdds = new ArrayList<>();
        System.out.print(ModelCard.tableHeader());
        for (ZooVariant v : ZooVariant.catalogue()) {
            Optional<ModelCard> card = ZooArtifacts.classpath().card(v);
            if (card.isEmpty()) {
                continue;
            }
            ModelCard c = card.get();
            System.out.print(c.tableRow());
            if (c.isDetector()) {
                continue; // the trade-off charts compare classifiers' accuracy
            }
            String label = c.artifactId() + " " + c.variant();
            bytes.add(new Charts.Point(c.quantizer(), label, c.fileBytes(), c.accuracy()));
            if (c.shiftAdds() > 0) {
                shiftAdds.add(new Charts.Point(c.quantizer(), label, c.shiftAdds(), c.accuracy()));
            }
        }
        if (bytes.isEmpty()) {
            System.out.println("no zoo artifact is built yet");
            return;
        }
        Charts.tradeOff("djl-quant zoo: accuracy vs model size (Fashion-MNIST test set)", "model file bytes", bytes,
                charts.resolve("zoo-accuracy-vs-bytes.png"));
        if (!shiftAdds.isEmpty()) {
            Charts.tradeOff("djl-quant zoo: accuracy vs shift-add operations", "shift-adds per image", shiftAdds,
                    charts.resolve("zoo-accuracy-vs-shiftadds.png"));
        }
        Map<String, List<double[]>> curves = new LinkedHashMap<>();
        for (ZooVariant v : ZooVariant.catalogue()) {
            // kept with the artifact; older artifacts have none, their history is in the work directory of their build
            Optional<String> shipped = ZooArtifacts.classpath().history(v);
            Path history = work.resolve(v.artifactId()).resolve(v.name()).resolve("history.csv");
            if (shipped.isPresent() || Files.exists(history)) {
                String csv = shipped.isPresent() ? shipped.get() : Files.readString(history, StandardCharsets.UTF_8);
                curves.put(v.artifactId() + " " + v.name(), Charts.trainingAccuracy(csv));
            }
        }
        if (!curves.isEmpty()) {
            Charts.curves("zoo build: training accuracy per epoch", "training accuracy (%)", curves,
                    charts.resolve("zoo-training-curves.png"));
        }
        System.out.println("charts written to " + charts.toAbsolutePath());
        costs();
    }

    /** Cost totals of the shipped quantized variants, measured on the loaded models. */
    private static void costs() throws Exception {
        System.out.println();
        System.out.println("| model | variant | score | weight bytes | shift-adds / image | non-zero-weight MACs / image | partial products / image |");
        System.out.println("|---|---|---|---|---|---|---|");
        Map<String, String[]> fields = new LinkedHashMap<>();
        for (ZooVariant v : ZooVariant.catalogue()) {
            Optional<ModelCard> card = ZooArtifacts.classpath().card(v);
            if (card.isEmpty() || v.isFloat()) {
                continue;
            }
            CostReport report;
            try (ZooModel<?, ?> model = criteria(v).loadModel()) {
                report = CostReport.of(model.getBlock());
            }
            ModelCard c = card.get();
            String score = v.isDetector() ? Double.toString(c.map()) : Double.toString(c.accuracy());
            String[] f = {score, Long.toString(report.weightBytes()), Long.toString(report.shiftAdds()), Long.toString(report.partialProducts()),
                Long.toString(report.nonZeroWeightMacs())};
            fields.put(v.artifactId() + "/" + v.name(), f);
            System.out.printf(Locale.ROOT, "| %s | %s | %s%s | %s | %s | %s | %s |%n", v.artifactId(), v.name(), score,
                    v.isDetector() ? " mAP" : " %", f[1], f[2], f[4], f[3]);
        }
        for (ZooVariant v : ZooVariant.catalogue()) {
            String nhot = v.artifactId() + "/" + v.name();
            String uniform = v.artifactId() + "/" + new ZooVariant(v.artifactId(), "uniform", v.weightBits(), v.activationBits(), v.dataset()).name();
            if (v.isTwoStage() && fields.containsKey(nhot) && fields.containsKey(uniform)) {
                System.out.print(BenchmarkSupport.nHotAgainstUniform(nhot + " vs " + uniform, fields.get(nhot), fields.get(uniform), 0,
                        v.isDetector() ? 100 : 1, 1, 2, 3));
                System.out.print(BenchmarkSupport.shiftAddFloor(nhot, fields.get(nhot), uniform, fields.get(uniform), 2, 4));
            }
        }
    }

    private static Criteria<?, ?> criteria(ZooVariant v) {
        return v.isDetector() ? ZooEvaluation.detectorCriteria(v).build()
                : v.criteria().setTypes(Image.class, Classifications.class).build();
    }
}
