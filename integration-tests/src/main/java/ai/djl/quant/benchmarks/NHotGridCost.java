package ai.djl.quant.benchmarks;

import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.output.DetectedObjects;
import ai.djl.quant.data.FashionMnistScenes;
import ai.djl.quant.nn.QuantizedNetwork;
import ai.djl.quant.quantizers.NHotQuantizer;
import ai.djl.quant.quantizers.Quantizer;
import ai.djl.quant.quantizers.QuantizerRole;
import ai.djl.quant.training.CocoEvaluator;
import ai.djl.quant.zoo.ZooEvaluation;
import ai.djl.quant.zoo.ZooModelLoader;
import ai.djl.quant.zoo.build.ZooBuild;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;

/**
 * Where the zoo's n-hot CenterNet loses against uniform W8A8: loads the n-hot(8,2) detector
 * through its Criteria, moves some of its activation quantizers back to the uniform 8-bit grid of
 * the same learned steps ({@link NHotQuantizer#switchToUniform}), re-estimates its BatchNorm
 * statistics as the build does ({@link ZooBuild#detectorRecalibration}, the build's seed and
 * batches, deploy mode) and scores it, once per row. A row's distance from the {@code nhot} row is
 * what the n-hot grid of the activations it moved costs the trained model.
 *
 * <p>The weights are not moved: the artifact holds their n-hot values, which the uniform grid of
 * the same step contains, so moving them changes nothing (an earlier version that did scored
 * exactly what the {@code nhot} row scores). What the weights' grid costs needs their latent
 * values, from a training checkpoint.
 *
 * <p>Rows: {@code nhot} (the artifact as it is), {@code activations} (all of them), {@code
 * unsigned} (the activations that follow a ReLU6) and {@code signed} (the others: block outputs and
 * residual sums), each naming what goes back to the uniform grid.
 *
 * <p>Arguments: {@code [rows=nhot,activations,unsigned,signed] [scenes=2000] [batches=60]
 * [artifactDir=the zoo jar's]}; a row takes 5–9 minutes of estimate and 3–4 of scoring.
 */
public final class NHotGridCost {

    private NHotGridCost() {}

    public static void main(String[] args) throws Exception {
        List<String> chosen = List.of((args.length > 0 ? args[0] : "nhot,activations,unsigned,signed").split(","));
        int n = args.length > 1 ? Integer.parseInt(args[1]) : ZooEvaluation.TEST_SCENES;
        int batches = args.length > 2 ? Integer.parseInt(args[2]) : ZooBuild.DETECTOR_RECALIBRATION_BATCHES;
        Criteria.Builder<Image, DetectedObjects> criteria = ZooEvaluation.detectorCriteria(DetectorGap.variant("nhot-w8a8"));
        if (args.length > 3) {
            criteria.optArgument(ZooModelLoader.ARTIFACT_DIRECTORY, args[3]);
        }
        FashionMnistScenes test = ZooEvaluation.testScenes(n);
        FashionMnistScenes train = ZooBuild.detectorTrainingScenes(ZooBuild.DETECTOR_TRAINING_SCENES);
        record Row(String key, String name, Predicate<Quantizer> uniform) {}
        List<Row> all = List.of(
                new Row("nhot", "n-hot(8,2) weights and activations (the zoo's)", q -> false),
                new Row("activations", "n-hot(8,2) weights, uniform 8-bit activations", q -> q.getRole() != QuantizerRole.WEIGHT),
                new Row("unsigned", "n-hot(8,2) weights and signed activations, uniform 8-bit unsigned activations",
                        q -> q.getRole() == QuantizerRole.ACTIVATION),
                new Row("signed", "n-hot(8,2) weights and unsigned activations, uniform 8-bit signed activations",
                        q -> q.getRole() == QuantizerRole.SIGNED_ACTIVATION));
        List<Row> rows = chosen.stream()
                .map(key -> all.stream().filter(r -> r.key().equals(key)).findFirst().orElseThrow(() -> new IllegalArgumentException(
                        "NHotGridCost: no row named " + key + "; the rows are nhot, activations, unsigned and signed")))
                .toList();
        System.out.printf("| grid of the zoo's n-hot CenterNet (its trained weights and steps) | quantizers on the uniform grid "
                + "| estimate s | mAP@[.5:.95] / mAP@.5 (%d test scenes) |%n|---|---|---|---|%n", n);
        for (Row row : rows) {
            try (ZooModel<Image, DetectedObjects> model = criteria.build().loadModel()) {
                int moved = 0;
                for (Quantizer q : ((QuantizedNetwork) model.getBlock()).getQuantizers()) {
                    if (row.uniform().test(q)) {
                        ((NHotQuantizer) q).switchToUniform();
                        moved++;
                    }
                }
                long start = System.nanoTime();
                ZooBuild.detectorRecalibration(train, batches, ZooBuild.SEED).run(model.getBlock(), model.getNDManager());
                double seconds = (System.nanoTime() - start) / 1e9;
                CocoEvaluator.Result r = ZooEvaluation.detections(model, test);
                System.out.printf(Locale.ROOT, "| %s | %d | %.0f | %.4f / %.4f |%n", row.name(), moved, seconds, r.map(), r.map50());
            }
        }
    }
}
