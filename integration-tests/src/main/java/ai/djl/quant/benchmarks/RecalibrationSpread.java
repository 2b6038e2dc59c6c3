package ai.djl.quant.benchmarks;

import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.output.DetectedObjects;
import ai.djl.quant.data.FashionMnistScenes;
import ai.djl.quant.training.CocoEvaluator;
import ai.djl.quant.zoo.ZooEvaluation;
import ai.djl.quant.zoo.ZooModelLoader;
import ai.djl.quant.zoo.ZooVariant;
import ai.djl.quant.zoo.build.ZooBuild;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import java.util.Arrays;
import java.util.Locale;

/**
 * How much of a quantized detector's score is the luck of its BatchNorm statistics: loads a zoo
 * CenterNet through its Criteria, scores it with the statistics it ships, then re-estimates them
 * once per seed exactly as the zoo build does after fine-tuning ({@link
 * ZooBuild#detectorRecalibration}: {@code batches} batches of 32 of the build's 30 000 training
 * scenes per BatchNorm, drawn with the seed) and scores each estimate on the same test scenes. The
 * weights never change: the rows differ only by which training scenes the statistics came from.
 * With the build's seed ({@link ZooBuild#SEED}) and batches the estimate is the shipped one again
 * (both run in deploy mode). At 60 batches an estimate takes 3–4 minutes for W8A8 and 5–9 for
 * n-hot, plus 1–2 minutes per 1 000 scenes scored.
 *
 * <p>Arguments: {@code [variant=nhot-w8a8] [seeds=17,1,2] [scenes=2000] [batches=60]
 * [artifactDir=the zoo jar's]}.
 */
public final class RecalibrationSpread {

    private RecalibrationSpread() {}

    public static void main(String[] args) throws Exception {
        ZooVariant variant = DetectorGap.variant(args.length > 0 ? args[0] : "nhot-w8a8");
        long[] seeds = Arrays.stream((args.length > 1 ? args[1] : ZooBuild.SEED + ",1,2").split(",")).mapToLong(Long::parseLong)
                .toArray();
        int n = args.length > 2 ? Integer.parseInt(args[2]) : ZooEvaluation.TEST_SCENES;
        int batches = args.length > 3 ? Integer.parseInt(args[3]) : ZooBuild.DETECTOR_RECALIBRATION_BATCHES;
        Criteria.Builder<Image, DetectedObjects> criteria = ZooEvaluation.detectorCriteria(variant);
        if (args.length > 4) {
            criteria.optArgument(ZooModelLoader.ARTIFACT_DIRECTORY, args[4]);
        }
        FashionMnistScenes test = ZooEvaluation.testScenes(n);
        FashionMnistScenes train = ZooBuild.detectorTrainingScenes(ZooBuild.DETECTOR_TRAINING_SCENES);
        try (ZooModel<Image, DetectedObjects> model = criteria.build().loadModel()) {
            System.out.printf("| %s statistics | estimate s | mAP@[.5:.95] / mAP@.5 (%d test scenes) |%n|---|---|---|%n",
                    variant.name(), n);
            CocoEvaluator.Result shipped = ZooEvaluation.detections(model, test);
            System.out.printf(Locale.ROOT, "| shipped | — | %.4f / %.4f |%n", shipped.map(), shipped.map50());
            double[] maps = new double[seeds.length];
            for (int i = 0; i < seeds.length; i++) {
                long start = System.nanoTime();
                ZooBuild.detectorRecalibration(train, batches, seeds[i]).run(model.getBlock(), model.getNDManager());
                double seconds = (System.nanoTime() - start) / 1e9;
                CocoEvaluator.Result r = ZooEvaluation.detections(model, test);
                maps[i] = r.map();
                System.out.printf(Locale.ROOT, "| re-estimated, seed %d%s, %d batches per BatchNorm | %.0f | %.4f / %.4f |%n", seeds[i],
                        seeds[i] == ZooBuild.SEED ? " (the build's)" : "", batches, seconds, r.map(), r.map50());
            }
            double mean = 0;
            double min = Double.MAX_VALUE;
            double max = -Double.MAX_VALUE;
            for (double m : maps) {
                mean += m / maps.length;
                min = Math.min(min, m);
                max = Math.max(max, m);
            }
            double squares = 0;
            for (double m : maps) {
                squares += (m - mean) * (m - mean);
            }
            System.out.printf(Locale.ROOT, "%s re-estimated with %d seeds: mAP@[.5:.95] mean %.4f, range %.2f points, sd %.2f points%n",
                    variant.name(), maps.length, mean, 100 * (max - min),
                    maps.length > 1 ? 100 * Math.sqrt(squares / (maps.length - 1)) : 0);
        }
    }
}
