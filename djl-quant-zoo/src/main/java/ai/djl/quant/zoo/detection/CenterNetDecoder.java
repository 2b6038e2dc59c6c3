package ai.djl.quant.zoo.detection;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * Turns one CenterNet output (classes + 4, side, side) into detections: heat-map peaks (a value at
 * least as high as its 8 neighbours, the 3×3 max-pool test), the top {@code k} by score above a
 * threshold, each with its box {@code centre = peak + offset}, size from the size head, relative
 * to the image.
 */
public final class CenterNetDecoder {

    private CenterNetDecoder() {}

    /**
     * A detection relative to the image (top-left corner, width and height in [0, 1]).
     *
     * @param label the class
     * @param score sigmoid(heat)
     * @param x left
     * @param y top
     * @param w width
     * @param h height
     */
    public record Detection(int label, float score, double x, double y, double w, double h) {}

    /**
     * Decodes one output.
     *
     * @param out the network output for one image, (classes + 4, side, side) row-major
     * @param classes the number of classes
     * @param side the grid side
     * @param topK the most detections kept
     * @param threshold the lowest score kept
     * @return detections by decreasing score
     */
    public static List<Detection> decode(float[] out, int classes, int side, int topK, float threshold) {
        int plane = side * side;
        PriorityQueue<int[]> best = new PriorityQueue<>(Comparator.comparingDouble(a -> out[a[0]]));
        float logitThreshold = (float) Math.log(threshold / (1 - threshold));
        for (int c = 0; c < classes; c++) {
            for (int y = 0; y < side; y++) {
                for (int x = 0; x < side; x++) {
                    int i = c * plane + y * side + x;
                    float v = out[i];
                    if (v < logitThreshold || !isPeak(out, c * plane, side, x, y, v)) {
                        continue;
                    }
                    best.add(new int[] {i, c, x, y});
                    if (best.size() > topK) {
                        best.poll();
                    }
                }
            }
        }
        List<Detection> detections = new ArrayList<>();
        for (int[] b : best) {
            int at = b[3] * side + b[2];
            float w = out[classes * plane + at];
            float h = out[(classes + 1) * plane + at];
            float cx = b[2] + out[(classes + 2) * plane + at];
            float cy = b[3] + out[(classes + 3) * plane + at];
            float score = (float) (1 / (1 + Math.exp(-out[b[0]])));
            detections.add(new Detection(b[1], score, (cx - w / 2) / side, (cy - h / 2) / side, w / side, h / side));
        }
        detections.sort(Comparator.comparingDouble(Detection::score).reversed());
        return detections;
    }

    private static boolean isPeak(float[] out, int offset, int side, int x, int y, float v) {
        for (int dy = -1; dy <= 1; dy++) {
            for (int dx = -1; dx <= 1; dx++) {
                int nx = x + dx;
                int ny = y + dy;
                if ((dx != 0 || dy != 0) && nx >= 0 && ny >= 0 && nx < side && ny < side && out[offset + ny * side + nx] > v) {
                    return false;
                }
            }
        }
        return true;
    }
}
