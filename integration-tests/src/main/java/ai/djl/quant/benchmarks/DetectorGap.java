package ai.djl.quant.benchmarks;

import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.output.DetectedObjects;
import ai.djl.quant.data.FashionMnistDataset;
import ai.djl.quant.data.FashionMnistScenes;
import ai.djl.quant.training.CocoEvaluator;
import ai.djl.quant.training.CocoPairedBootstrap;
import ai.djl.quant.zoo.ZooEvaluation;
import ai.djl.quant.zoo.ZooModelLoader;
import ai.djl.quant.zoo.ZooVariant;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.training.dataset.Dataset;
import java.util.Locale;

/**
 * How sure the mAP gap between two zoo detectors is: loads both through their Criteria, detects
 * on the same test scenes (the cards' 2 000), prints each score, their difference and its 95 %
 * paired-bootstrap interval over scenes ({@link CocoPairedBootstrap}).
 *
 * <p>Arguments: {@code [a=nhot-w8a8] [b=uniform-w8a8] [resamples=1000] [artifactDir=the zoo jar's]}:
 * CenterNet variant names, and a directory holding {@code centernet/<variant>/} artifacts (a zoo
 * build's output) for artifacts not yet shipped.
 */
public final class DetectorGap {

    private DetectorGap() {}

    public static void main(String[] args) throws Exception {
        String a = args.length > 0 ? args[0] : "nhot-w8a8";
        String b = args.length > 1 ? args[1] : "uniform-w8a8";
        int resamples = args.length > 2 ? Integer.parseInt(args[2]) : 1000;
        String dir = args.length > 3 ? args[3] : null;
        FashionMnistScenes scenes = FashionMnistScenes.builder().setSampling(32, false).optUsage(Dataset.Usage.TEST)
                .optScenes(2_000).build();
        scenes.prepare(null);
        int n = Math.toIntExact(scenes.size());
        ZooEvaluation.SceneDetections da = detections(a, dir, scenes, n);
        ZooEvaluation.SceneDetections db = detections(b, dir, scenes, n);
        CocoEvaluator.Result ra = da.score(n);
        CocoEvaluator.Result rb = db.score(n);
        System.out.printf(Locale.ROOT, "%s: mAP@[.5:.95] %.4f, mAP@.5 %.4f on %d test scenes%n", a, ra.map(), ra.map50(), n);
        System.out.printf(Locale.ROOT, "%s: mAP@[.5:.95] %.4f, mAP@.5 %.4f%n", b, rb.map(), rb.map50());
        long start = System.nanoTime();
        CocoPairedBootstrap.Difference d = CocoPairedBootstrap.of(FashionMnistDataset.CLASSES.length, n, da.truths(),
                da.detections(), db.detections(), resamples, 42);
        System.out.printf(Locale.ROOT, "%s - %s: mAP@[.5:.95] %+.2f points (95%% interval %+.2f .. %+.2f), "
                + "mAP@.5 %+.2f points (%+.2f .. %+.2f); paired bootstrap over scenes, %d resamples, %.0f s%n",
                a, b, 100 * d.map(), 100 * d.mapLow(), 100 * d.mapHigh(), 100 * d.map50(), 100 * d.map50Low(),
                100 * d.map50High(), d.resamples(), (System.nanoTime() - start) / 1e9);
    }

    private static ZooEvaluation.SceneDetections detections(String variant, String dir, FashionMnistScenes scenes, int n)
            throws Exception {
        ZooVariant v = ZooVariant.catalogue().stream()
                .filter(z -> z.isDetector() && z.name().equals(variant))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("DetectorGap: no CenterNet variant named " + variant));
        Criteria.Builder<Image, DetectedObjects> criteria = ZooEvaluation.detectorCriteria(v);
        if (dir != null) {
            criteria.optArgument(ZooModelLoader.ARTIFACT_DIRECTORY, dir);
        }
        try (ZooModel<Image, DetectedObjects> model = criteria.build().loadModel()) {
            return ZooEvaluation.collect(model, scenes, n);
        }
    }
}
