package ai.djl.quant.benchmarks;

import ai.djl.engine.Engine;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.output.DetectedObjects;
import ai.djl.quant.data.FashionMnistScenes;
import ai.djl.quant.training.CocoEvaluator;
import ai.djl.quant.training.SequentialBatchNormRecalibration;
import ai.djl.quant.zoo.ZooEvaluation;
import ai.djl.quant.zoo.ZooModelLoader;
import ai.djl.quant.zoo.ZooVariant;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import java.util.Locale;

/**
 * How much of a quantized detector's score is the luck of its BatchNorm statistics: loads a zoo
 * CenterNet through its Criteria, scores it with the statistics it ships, then re-estimates them
 * {@code rounds} times ({@link SequentialBatchNormRecalibration}, as the zoo build does after
 * fine-tuning, from {@code batches} random batches of 32 of the build's 30 000 training scenes per
 * BatchNorm, the draws seeded by the round) and scores each estimate on the same test scenes. The
 * weights never change: the rows differ only by which training scenes the statistics came from.
 * A round takes 1–3 minutes per 20 batches, plus about a minute per 1 000 scenes scored.
 *
 * <p>Arguments: {@code [variant=nhot-w8a8] [rounds=3] [scenes=2000] [batches=20] [artifactDir=the
 * zoo jar's]}.
 */
public final class RecalibrationSpread {

    private RecalibrationSpread() {}

    public static void main(String[] args) throws Exception {
        ZooVariant variant = DetectorGap.variant(args.length > 0 ? args[0] : "nhot-w8a8");
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        int n = args.length > 2 ? Integer.parseInt(args[2]) : ZooEvaluation.TEST_SCENES;
        int batches = args.length > 3 ? Integer.parseInt(args[3]) : 20;
        Criteria.Builder<Image, DetectedObjects> criteria = ZooEvaluation.detectorCriteria(variant);
        if (args.length > 4) {
            criteria.optArgument(ZooModelLoader.ARTIFACT_DIRECTORY, args[4]);
        }
        FashionMnistScenes test = ZooEvaluation.testScenes(n);
        FashionMnistScenes train = FashionMnistScenes.builder().setSampling(32, true).optScenes(30_000).build();
        train.prepare(null);
        try (ZooModel<Image, DetectedObjects> model = criteria.build().loadModel()) {
            System.out.printf("| %s statistics | estimate s | mAP@[.5:.95] / mAP@.5 (%d test scenes) |%n|---|---|---|%n",
                    variant.name(), n);
            CocoEvaluator.Result shipped = ZooEvaluation.detections(model, test);
            System.out.printf(Locale.ROOT, "| shipped | — | %.4f / %.4f |%n", shipped.map(), shipped.map50());
            double[] maps = new double[rounds];
            for (int round = 1; round <= rounds; round++) {
                Engine.getInstance().setRandomSeed(round); // DJL's RandomSampler draws from the engine's seeded generator
                long start = System.nanoTime();
                SequentialBatchNormRecalibration.run(model.getBlock(), model.getNDManager(), train, batches);
                double seconds = (System.nanoTime() - start) / 1e9;
                CocoEvaluator.Result r = ZooEvaluation.detections(model, test);
                maps[round - 1] = r.map();
                System.out.printf(Locale.ROOT, "| re-estimated, seed %d, %d batches per BatchNorm | %.0f | %.4f / %.4f |%n", round,
                        batches, seconds, r.map(), r.map50());
            }
            double mean = 0;
            double min = Double.MAX_VALUE;
            double max = -Double.MAX_VALUE;
            for (double m : maps) {
                mean += m / rounds;
                min = Math.min(min, m);
                max = Math.max(max, m);
            }
            double squares = 0;
            for (double m : maps) {
                squares += (m - mean) * (m - mean);
            }
            System.out.printf(Locale.ROOT, "%s re-estimated %d times: mAP@[.5:.95] mean %.4f, range %.2f points, sd %.2f points%n",
                    variant.name(), rounds, mean, 100 * (max - min), rounds > 1 ? 100 * Math.sqrt(squares / (rounds - 1)) : 0);
        }
    }
}
