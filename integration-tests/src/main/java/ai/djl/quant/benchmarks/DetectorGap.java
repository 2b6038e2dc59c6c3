package ai.djl.quant.benchmarks;

import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.output.DetectedObjects;
import ai.djl.quant.data.FashionMnistDataset;
import ai.djl.quant.data.FashionMnistScenes;
import ai.djl.quant.training.CocoEvaluator;
import ai.djl.quant.training.CocoPairedBootstrap;
import ai.djl.quant.zoo.ModelCard;
import ai.djl.quant.zoo.ZooArtifacts;
import ai.djl.quant.zoo.ZooEvaluation;
import ai.djl.quant.zoo.ZooModelLoader;
import ai.djl.quant.zoo.ZooVariant;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import java.nio.file.Paths;
import java.util.Locale;

/**
 * How sure the mAP gap between two zoo detectors is: loads both through their Criteria, detects
 * on the same test scenes (by default the cards' {@link ZooEvaluation#TEST_SCENES}), prints each
 * score, their difference and its 95 % paired-bootstrap interval over scenes
 * ({@link CocoPairedBootstrap}).
 *
 * <p>Arguments: {@code [a=nhot-w8a8] [b=uniform-w8a8] [resamples=1000] [scenes=the cards']
 * [artifactDir=the zoo jar's]}: CenterNet variant names; how many test scenes (more than the cards'
 * narrows the interval: the first ones are the cards' own); a directory holding
 * {@code centernet/<variant>/} artifacts (a zoo build's output) for artifacts not yet shipped.
 */
public final class DetectorGap {

    private DetectorGap() {}

    public static void main(String[] args) throws Exception {
        ZooVariant a = variant(args.length > 0 ? args[0] : "nhot-w8a8");
        ZooVariant b = variant(args.length > 1 ? args[1] : "uniform-w8a8");
        int resamples = args.length > 2 ? Integer.parseInt(args[2]) : 1000;
        String dir = args.length > 4 ? args[4] : null;
        ZooArtifacts artifacts = dir == null ? ZooArtifacts.classpath() : ZooArtifacts.directory(Paths.get(dir));
        ModelCard cardA = card(artifacts, a, dir);
        ModelCard cardB = card(artifacts, b, dir);
        if (args.length <= 3 && cardA.testImages() != cardB.testImages()) {
            throw new IllegalArgumentException("DetectorGap: " + a.name() + "'s card was scored on " + cardA.testImages() + " scenes, "
                    + b.name() + "'s on " + cardB.testImages() + ": name the number of scenes (4th argument)");
        }
        int n = args.length > 3 ? Integer.parseInt(args[3]) : Math.toIntExact(cardA.testImages());
        FashionMnistScenes scenes = ZooEvaluation.testScenes(n);
        ZooEvaluation.SceneDetections da = detections(a, dir, scenes, n);
        ZooEvaluation.SceneDetections db = detections(b, dir, scenes, n);
        long start = System.nanoTime();
        CocoPairedBootstrap.Difference d = CocoPairedBootstrap.of(FashionMnistDataset.CLASSES.length, n, da.truths(),
                da.detections(), db.detections(), resamples, 42);
        double seconds = (System.nanoTime() - start) / 1e9;
        print(a, d.a(), cardA, n);
        print(b, d.b(), cardB, n);
        System.out.printf(Locale.ROOT, "%s - %s: mAP@[.5:.95] %+.2f points (95%% interval %+.2f .. %+.2f), "
                + "mAP@.5 %+.2f points (%+.2f .. %+.2f); paired bootstrap over %d scenes, %d resamples, %.0f s%n",
                a.name(), b.name(), 100 * d.map(), 100 * d.mapLow(), 100 * d.mapHigh(), 100 * d.map50(), 100 * d.map50Low(),
                100 * d.map50High(), n, d.resamples(), seconds);
    }

    private static void print(ZooVariant v, CocoEvaluator.Result r, ModelCard card, int n) {
        System.out.printf(Locale.ROOT, "%s: mAP@[.5:.95] %.4f, mAP@.5 %.4f on %d test scenes (card: %.4f / %.4f on %d)%n", v.name(),
                r.map(), r.map50(), n, card.map(), card.map50(), card.testImages());
    }

    /** The CenterNet variant named {@code name}, or an error naming it. */
    static ZooVariant variant(String name) {
        return ZooVariant.catalogue().stream()
                .filter(z -> z.isDetector() && z.name().equals(name))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("DetectorGap: no CenterNet variant named " + name));
    }

    private static ModelCard card(ZooArtifacts artifacts, ZooVariant v, String dir) throws Exception {
        return artifacts.card(v).orElseThrow(() -> new IllegalArgumentException("DetectorGap: no card of centernet/" + v.name()
                + (dir == null ? " in the zoo jar" : " under " + dir) + ": build it with the zoo-build command"));
    }

    private static ZooEvaluation.SceneDetections detections(ZooVariant v, String dir, FashionMnistScenes scenes, int n)
            throws Exception {
        Criteria.Builder<Image, DetectedObjects> criteria = ZooEvaluation.detectorCriteria(v);
        if (dir != null) {
            criteria.optArgument(ZooModelLoader.ARTIFACT_DIRECTORY, dir);
        }
        try (ZooModel<Image, DetectedObjects> model = criteria.build().loadModel()) {
            return ZooEvaluation.collect(model, scenes, n);
        }
    }
}
