package ai.djl.quant.benchmarks;

import ai.djl.Model;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.output.DetectedObjects;
import ai.djl.quant.data.FashionMnistScenes;
import ai.djl.quant.nn.QuantizedNetwork;
import ai.djl.quant.quantizers.NHotQuantizer;
import ai.djl.quant.quantizers.Quantizer;
import ai.djl.quant.quantizers.QuantizerRole;
import ai.djl.quant.training.Checkpoints;
import ai.djl.quant.training.CocoEvaluator;
import ai.djl.quant.zoo.DetectorModelLoader;
import ai.djl.quant.zoo.ZooEvaluation;
import ai.djl.quant.zoo.ZooModelLoader;
import ai.djl.quant.zoo.ZooVariant;
import ai.djl.quant.zoo.build.ZooBuild;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;

/**
 * Where the zoo's n-hot CenterNet loses against uniform W8A8: loads the n-hot(8,2) detector, moves
 * some of its quantizers back to the uniform 8-bit grid of the same learned steps ({@link
 * NHotQuantizer#switchToUniform}), re-estimates its BatchNorm statistics as the build does ({@link
 * ZooBuild#detectorRecalibration}, the build's seed and batches, deploy mode) and scores it, once
 * per row. A row's distance from the {@code nhot} row is what the n-hot grid of the quantizers it
 * moved costs the trained model.
 *
 * <p>The model comes from the zoo's artifact through its Criteria, or, with {@code
 * checkpoint=<work>}, from the last n-hot-stage checkpoint of a {@code ZooBuild} work directory
 * ({@link ZooBuild#loadFineTuned}), scored through the zoo's translator in deploy mode (the build's
 * card exactly, when nothing moves). Only the checkpoint can move the weights: it holds their
 * latent values, where the artifact holds their n-hot values, which the uniform grid of the same
 * step contains (moving those changes nothing). Rounding latent values to the finer grid is not
 * the same as removing the n-hot grid's cost, though: the model is fitted to its weights' n-hot
 * values, from which the latent ones drift under the straight-through gradient (it lost 0.35
 * points on the 3-pass probe's checkpoint: README).
 *
 * <p>Rows: {@code nhot} (the model as it is), {@code activations} (all of them), {@code unsigned}
 * (the activations that follow a ReLU6), {@code signed} (the others: block outputs and residual
 * sums), {@code weights} (checkpoint only) and {@code all} (checkpoint only: the n-hot-trained model
 * on the W8A8 grid), each naming what goes back to the uniform grid.
 *
 * <p>Arguments: {@code [rows=nhot,activations,unsigned,signed] [scenes=2000] [batches=60]
 * [artifactDir=the zoo jar's | checkpoint=<ZooBuild work directory>]}; a row takes 5–9 minutes of
 * estimate and 3–4 of scoring.
 */
public final class NHotGridCost {

    private static final ZooVariant VARIANT = DetectorGap.variant("nhot-w8a8");
    private static final String CHECKPOINT = "checkpoint=";

    private NHotGridCost() {}

    public static void main(String[] args) throws Exception {
        List<String> chosen = List.of((args.length > 0 ? args[0] : "nhot,activations,unsigned,signed").split(","));
        int n = args.length > 1 ? Integer.parseInt(args[1]) : ZooEvaluation.TEST_SCENES;
        int batches = args.length > 2 ? Integer.parseInt(args[2]) : ZooBuild.DETECTOR_RECALIBRATION_BATCHES;
        String source = args.length > 3 ? args[3] : null;
        boolean latent = source != null && source.startsWith(CHECKPOINT);
        ModelSource models = latent ? checkpoint(Path.of(source.substring(CHECKPOINT.length()))) : artifact(source);
        record Row(String key, String name, boolean needsLatentWeights, Predicate<Quantizer> uniform) {}
        List<Row> all = List.of(
                new Row("nhot", "n-hot(8,2) weights and activations", false, q -> false),
                new Row("activations", "n-hot(8,2) weights, uniform 8-bit activations", false,
                        q -> q.getRole() != QuantizerRole.WEIGHT),
                new Row("unsigned", "n-hot(8,2) weights and signed activations, uniform 8-bit unsigned activations", false,
                        q -> q.getRole() == QuantizerRole.ACTIVATION),
                new Row("signed", "n-hot(8,2) weights and unsigned activations, uniform 8-bit signed activations", false,
                        q -> q.getRole() == QuantizerRole.SIGNED_ACTIVATION),
                new Row("weights", "uniform 8-bit weights, n-hot(8,2) activations", true, q -> q.getRole() == QuantizerRole.WEIGHT),
                new Row("all", "uniform 8-bit weights and activations", true, q -> true));
        List<Row> rows = chosen.stream()
                .map(key -> all.stream().filter(r -> r.key().equals(key)).findFirst().orElseThrow(() -> new IllegalArgumentException(
                        "NHotGridCost: no row named " + key + "; the rows are nhot, activations, unsigned, signed, weights and all")))
                .toList();
        for (Row row : rows) {
            if (row.needsLatentWeights() && !latent) {
                throw new IllegalArgumentException("NHotGridCost: row " + row.key() + " moves the weights, which the artifact holds as "
                        + "n-hot values the uniform grid contains; give " + CHECKPOINT + "<ZooBuild work directory> for their latent values");
            }
        }
        FashionMnistScenes test = ZooEvaluation.testScenes(n);
        FashionMnistScenes train = ZooBuild.detectorTrainingScenes(ZooBuild.DETECTOR_TRAINING_SCENES);
        System.out.printf("| grid of the n-hot CenterNet (%s: its trained weights and steps) | quantizers on the uniform grid "
                + "| estimate s | mAP@[.5:.95] / mAP@.5 (%d test scenes) |%n|---|---|---|---|%n", models.description(), n);
        for (Row row : rows) {
            try (ZooModel<Image, DetectedObjects> model = models.load()) {
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

    /** Where each row's model comes from: a fresh copy per row. */
    private interface ModelSource {
        ZooModel<Image, DetectedObjects> load() throws Exception;

        String description();
    }

    /** The zoo's artifact through its Criteria ({@code directory} null: the zoo jar's). */
    private static ModelSource artifact(String directory) {
        Criteria.Builder<Image, DetectedObjects> criteria = ZooEvaluation.detectorCriteria(VARIANT);
        if (directory != null) {
            criteria.optArgument(ZooModelLoader.ARTIFACT_DIRECTORY, directory);
        }
        return new ModelSource() {
            @Override
            public ZooModel<Image, DetectedObjects> load() throws Exception {
                return criteria.build().loadModel();
            }

            @Override
            public String description() {
                return "the zoo's artifact";
            }
        };
    }

    /** The last n-hot-stage checkpoint of a ZooBuild work directory, in deploy mode. */
    private static ModelSource checkpoint(Path work) throws IOException {
        Path directory = ZooBuild.fineTuneDirectory(work, VARIANT);
        Checkpoints checkpoints = new Checkpoints(directory, VARIANT.artifactId());
        int epoch = checkpoints.latest().orElseThrow(() -> new IllegalArgumentException("NHotGridCost: no checkpoint under " + directory));
        return new ModelSource() {
            @Override
            public ZooModel<Image, DetectedObjects> load() throws Exception {
                Model model = ZooBuild.loadFineTuned(VARIANT, checkpoints, epoch, true);
                ((QuantizedNetwork) model.getBlock()).setDeployMode(true);
                return new ZooModel<>(model, DetectorModelLoader.translator(ZooEvaluation.DETECTION_THRESHOLD));
            }

            @Override
            public String description() {
                return directory + " epoch " + epoch + ", latent weights";
            }
        };
    }
}
