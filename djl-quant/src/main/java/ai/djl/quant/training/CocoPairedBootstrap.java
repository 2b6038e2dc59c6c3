package ai.djl.quant.training;

import ai.djl.quant.training.CocoEvaluator.Detection;
import ai.djl.quant.training.CocoEvaluator.GroundTruth;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * How sure a difference in COCO mAP between two detectors scored on the same images is: a paired
 * bootstrap over images. Each resample draws as many images as there are, with replacement, and
 * scores both detectors on the same draw (a drawn image counts as a new image each time); the
 * interval holds the middle 95 % of the resampled differences {@code mAP(a) - mAP(b)}.
 *
 * <p>It measures the test set's sampling noise only (which scenes were drawn), not the training
 * run's (another seed or build of the same recipe).
 */
public final class CocoPairedBootstrap {

    private CocoPairedBootstrap() {}

    /**
     * Both detectors' scores on all images and the 95 % intervals of their differences.
     *
     * @param a the first detector's score on all images
     * @param b the second detector's score on all images
     * @param mapLow the lower end of the interval of {@link #map()}
     * @param mapHigh its upper end
     * @param map50Low the lower end of the interval of {@link #map50()}
     * @param map50High its upper end
     * @param resamples the number of resamples
     */
    public record Difference(CocoEvaluator.Result a, CocoEvaluator.Result b, double mapLow, double mapHigh, double map50Low,
            double map50High, int resamples) {

        /**
         * The observed difference of mAP@[.5:.95].
         *
         * @return {@code mAP(a) - mAP(b)} on all images
         */
        public double map() {
            return a.map() - b.map();
        }

        /**
         * The observed difference of mAP@.5.
         *
         * @return {@code mAP@.5(a) - mAP@.5(b)} on all images
         */
        public double map50() {
            return a.map50() - b.map50();
        }
    }

    /**
     * Bootstraps the difference of two detectors' scores.
     *
     * @param classes the number of classes
     * @param images the number of images; image indices run from 0 to {@code images - 1}
     * @param truths the ground truth of every image
     * @param a the first detector's detections
     * @param b the second detector's detections
     * @param resamples how many resamples (at least 100)
     * @param seed the seed of the draws
     * @return both scores and the intervals of their differences {@code a - b}
     */
    public static Difference of(int classes, int images, List<GroundTruth> truths, List<Detection> a, List<Detection> b,
            int resamples, long seed) {
        if (resamples < 100) {
            throw new IllegalArgumentException("CocoPairedBootstrap: at least 100 resamples for a 95 % interval, got " + resamples);
        }
        List<List<GroundTruth>> truthOf = byImage(images, truths, GroundTruth::image);
        List<List<Detection>> aOf = byImage(images, a, Detection::image);
        List<List<Detection>> bOf = byImage(images, b, Detection::image);
        int[] all = new int[images];
        Arrays.setAll(all, i -> i);
        CocoEvaluator.Result[] observed = scores(classes, all, truthOf, aOf, bOf);
        double[] map = new double[resamples];
        double[] map50 = new double[resamples];
        Random random = new Random(seed);
        int[] draw = new int[images];
        for (int r = 0; r < resamples; r++) {
            for (int k = 0; k < images; k++) {
                draw[k] = random.nextInt(images);
            }
            CocoEvaluator.Result[] d = scores(classes, draw, truthOf, aOf, bOf);
            map[r] = d[0].map() - d[1].map();
            map50[r] = d[0].map50() - d[1].map50();
        }
        Arrays.sort(map);
        Arrays.sort(map50);
        int low = (int) Math.floor(0.025 * (resamples - 1));
        int high = (int) Math.ceil(0.975 * (resamples - 1));
        return new Difference(observed[0], observed[1], map[low], map[high], map50[low], map50[high], resamples);
    }

    /** The scores of a and b on the drawn images, the k-th draw numbered k. */
    private static CocoEvaluator.Result[] scores(int classes, int[] draw, List<List<GroundTruth>> truthOf, List<List<Detection>> aOf,
            List<List<Detection>> bOf) {
        CocoEvaluator ea = new CocoEvaluator(classes);
        CocoEvaluator eb = new CocoEvaluator(classes);
        for (int k = 0; k < draw.length; k++) {
            int image = k;
            for (GroundTruth t : truthOf.get(draw[k])) {
                GroundTruth renamed = new GroundTruth(image, t.label(), t.box());
                ea.add(renamed);
                eb.add(renamed);
            }
            aOf.get(draw[k]).forEach(d -> ea.add(new Detection(image, d.label(), d.score(), d.box())));
            bOf.get(draw[k]).forEach(d -> eb.add(new Detection(image, d.label(), d.score(), d.box())));
        }
        return new CocoEvaluator.Result[] {ea.evaluate(), eb.evaluate()};
    }

    private static <T> List<List<T>> byImage(int images, List<T> items, java.util.function.ToIntFunction<T> image) {
        List<List<T>> of = new ArrayList<>();
        for (int i = 0; i < images; i++) {
            of.add(new ArrayList<>());
        }
        for (T item : items) {
            int i = image.applyAsInt(item);
            if (i < 0 || i >= images) {
                throw new IllegalArgumentException("CocoPairedBootstrap: image " + i + " outside 0.." + (images - 1));
            }
            of.get(i).add(item);
        }
        return of;
    }
}
