package ai.djl.quant.training;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * COCO-style detection metrics: average precision per class with 101-point interpolated
 * precision, at IoU thresholds 0.50, 0.55, …, 0.95; mAP@[.5:.95] is their mean over classes and
 * thresholds, mAP@.5 the mean over classes at 0.5. Classes without ground truth are left out, as
 * in pycocotools.
 *
 * <p>Matching follows COCO: detections of a class are taken by decreasing score, each matched to
 * the unmatched ground-truth box of its image with the highest IoU, if that IoU reaches the
 * threshold (a true positive), else counted as a false positive. With precision made
 * non-increasing from the right, {@code AP = (1/101)·Σ_{r ∈ {0, .01, …, 1}} p(first recall ≥ r)}
 * (0 where recall never reaches r).
 */
public final class CocoEvaluator {

    /** The IoU thresholds of mAP@[.5:.95]. */
    public static final double[] THRESHOLDS = {0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95};

    private final int classes;
    private final List<GroundTruth> truths = new ArrayList<>();
    private final List<Detection> detections = new ArrayList<>();

    /**
     * Creates an evaluator.
     *
     * @param classes the number of classes
     */
    public CocoEvaluator(int classes) {
        this.classes = classes;
    }

    /** An axis-aligned box: top-left corner, width and height (any consistent unit). */
    public record Box(double x, double y, double w, double h) {

        /**
         * Returns the intersection over union with another box.
         *
         * @param o the other box
         * @return IoU in [0, 1]
         */
        public double iou(Box o) {
            double iw = Math.min(x + w, o.x + o.w) - Math.max(x, o.x);
            double ih = Math.min(y + h, o.y + o.h) - Math.max(y, o.y);
            if (iw <= 0 || ih <= 0) {
                return 0;
            }
            double inter = iw * ih;
            return inter / (w * h + o.w * o.h - inter);
        }
    }

    /**
     * A ground-truth object.
     *
     * @param image the image index
     * @param label the class
     * @param box the box
     */
    public record GroundTruth(int image, int label, Box box) {}

    /**
     * A predicted object.
     *
     * @param image the image index
     * @param label the class
     * @param score the confidence
     * @param box the box
     */
    public record Detection(int image, int label, double score, Box box) {}

    /**
     * The metrics.
     *
     * @param map mAP@[.5:.95]
     * @param map50 mAP@.5
     * @param ap per-class AP@[.5:.95] (NaN for classes without ground truth)
     * @param ap50 per-class AP@.5 (NaN for classes without ground truth)
     */
    public record Result(double map, double map50, double[] ap, double[] ap50) {}

    /**
     * Adds a ground-truth object.
     *
     * @param truth the object
     */
    public void add(GroundTruth truth) {
        truths.add(truth);
    }

    /**
     * Adds a prediction.
     *
     * @param detection the prediction
     */
    public void add(Detection detection) {
        detections.add(detection);
    }

    /**
     * Computes the metrics over everything added.
     *
     * @return mAP@[.5:.95], mAP@.5 and per-class APs
     */
    public Result evaluate() {
        double[] ap = new double[classes];
        double[] ap50 = new double[classes];
        double sum = 0;
        double sum50 = 0;
        int counted = 0;
        for (int c = 0; c < classes; c++) {
            int label = c;
            List<GroundTruth> gt = truths.stream().filter(t -> t.label() == label).toList();
            if (gt.isEmpty()) {
                ap[c] = Double.NaN;
                ap50[c] = Double.NaN;
                continue;
            }
            List<Detection> dets = new ArrayList<>(detections.stream().filter(d -> d.label() == label).toList());
            dets.sort(Comparator.comparingDouble(Detection::score).reversed());
            double total = 0;
            for (double t : THRESHOLDS) {
                double a = averagePrecision(gt, dets, t);
                total += a;
                if (t == 0.5) {
                    ap50[c] = a;
                }
            }
            ap[c] = total / THRESHOLDS.length;
            sum += ap[c];
            sum50 += ap50[c];
            counted++;
        }
        return new Result(counted == 0 ? Double.NaN : sum / counted, counted == 0 ? Double.NaN : sum50 / counted, ap, ap50);
    }

    /** AP of one class at one IoU threshold; detections sorted by decreasing score. */
    static double averagePrecision(List<GroundTruth> gt, List<Detection> dets, double threshold) {
        Map<Integer, List<GroundTruth>> byImage = new HashMap<>();
        for (GroundTruth t : gt) {
            byImage.computeIfAbsent(t.image(), k -> new ArrayList<>()).add(t);
        }
        Map<GroundTruth, Boolean> matched = new java.util.IdentityHashMap<>();
        double[] precision = new double[dets.size()];
        double[] recall = new double[dets.size()];
        int tp = 0;
        for (int i = 0; i < dets.size(); i++) {
            Detection d = dets.get(i);
            GroundTruth best = null;
            double bestIou = threshold;
            for (GroundTruth t : byImage.getOrDefault(d.image(), List.of())) {
                double iou = t.box().iou(d.box());
                if (!matched.containsKey(t) && iou >= bestIou) {
                    best = t;
                    bestIou = iou;
                }
            }
            if (best != null) {
                matched.put(best, true);
                tp++;
            }
            precision[i] = (double) tp / (i + 1);
            recall[i] = (double) tp / gt.size();
        }
        for (int i = precision.length - 2; i >= 0; i--) {
            precision[i] = Math.max(precision[i], precision[i + 1]);
        }
        double sum = 0;
        for (int k = 0; k <= 100; k++) {
            double r = k / 100.0;
            int j = firstAtLeast(recall, r);
            sum += j < recall.length ? precision[j] : 0;
        }
        return sum / 101;
    }

    private static int firstAtLeast(double[] sorted, double value) {
        int i = Arrays.binarySearch(sorted, value - 1e-12);
        i = i < 0 ? -i - 1 : i;
        while (i < sorted.length && sorted[i] < value - 1e-12) {
            i++;
        }
        while (i > 0 && sorted[i - 1] >= value - 1e-12) {
            i--;
        }
        return i;
    }
}
