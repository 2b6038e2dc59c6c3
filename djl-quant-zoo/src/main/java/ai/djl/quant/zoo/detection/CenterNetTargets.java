package ai.djl.quant.zoo.detection;

/**
 * CenterNet's training targets for a batch of DJL detection labels ({@code [class, x, y, w, h]}
 * rows relative to the image, -1 rows for padding), on the output grid of side {@code side}:
 *
 * <ul>
 *   <li>heat map (N, C, side, side): at each object's centre a Gaussian peak of 1 with the radius
 *       CenterNet derives from the box size (overlapping peaks keep their maximum);
 *   <li>regression (N, 4, side, side): box width and height and the centre's sub-pixel offset, in
 *       output pixels, at the centre pixel;
 *   <li>mask (N, 1, side, side): 1 at the centre pixels.
 * </ul>
 *
 * @param heatmap the heat-map targets, row-major
 * @param regression the size and offset targets, row-major
 * @param mask the centre mask, row-major
 * @param objects the number of objects in the batch
 */
public record CenterNetTargets(float[] heatmap, float[] regression, float[] mask, int objects) {

    /**
     * Builds the targets.
     *
     * @param labels the labels, (N, maxObjects, 5) row-major
     * @param batch N
     * @param maxObjects rows per image
     * @param classes C
     * @param side the output grid side
     * @return the targets
     */
    public static CenterNetTargets of(float[] labels, int batch, int maxObjects, int classes, int side) {
        int plane = side * side;
        float[] heat = new float[batch * classes * plane];
        float[] reg = new float[batch * 4 * plane];
        float[] mask = new float[batch * plane];
        int objects = 0;
        for (int n = 0; n < batch; n++) {
            for (int k = 0; k < maxObjects; k++) {
                int row = (n * maxObjects + k) * 5;
                int label = (int) labels[row];
                if (label < 0) {
                    continue;
                }
                double w = labels[row + 3] * side;
                double h = labels[row + 4] * side;
                double cx = (labels[row + 1] + labels[row + 3] / 2) * side;
                double cy = (labels[row + 2] + labels[row + 4] / 2) * side;
                int px = Math.min(side - 1, (int) Math.floor(cx));
                int py = Math.min(side - 1, (int) Math.floor(cy));
                int radius = Math.max(0, (int) gaussianRadius(h, w, 0.7));
                drawGaussian(heat, (n * classes + label) * plane, side, px, py, radius);
                int at = py * side + px;
                reg[(n * 4) * plane + at] = (float) w;
                reg[(n * 4 + 1) * plane + at] = (float) h;
                reg[(n * 4 + 2) * plane + at] = (float) (cx - px);
                reg[(n * 4 + 3) * plane + at] = (float) (cy - py);
                mask[n * plane + at] = 1;
                objects++;
            }
        }
        return new CenterNetTargets(heat, reg, mask, objects);
    }

    /**
     * CenterNet's Gaussian radius: the largest corner displacement that keeps a box of this size
     * at IoU ≥ {@code minOverlap} with the truth (the smallest of the three cases' roots).
     *
     * @param height the box height
     * @param width the box width
     * @param minOverlap the IoU to keep
     * @return the radius
     */
    static double gaussianRadius(double height, double width, double minOverlap) {
        double b1 = height + width;
        double c1 = width * height * (1 - minOverlap) / (1 + minOverlap);
        double r1 = (b1 + Math.sqrt(b1 * b1 - 4 * c1)) / 2;
        double b2 = 2 * (height + width);
        double c2 = (1 - minOverlap) * width * height;
        double r2 = (b2 + Math.sqrt(b2 * b2 - 16 * c2)) / 2;
        double a3 = 4 * minOverlap;
        double b3 = -2 * minOverlap * (height + width);
        double c3 = (minOverlap - 1) * width * height;
        double r3 = (b3 + Math.sqrt(b3 * b3 - 4 * a3 * c3)) / 2;
        return Math.min(r1, Math.min(r2, r3));
    }

    private static void drawGaussian(float[] heat, int offset, int side, int cx, int cy, int radius) {
        double sigma = (2 * radius + 1) / 6.0;
        for (int y = Math.max(0, cy - radius); y <= Math.min(side - 1, cy + radius); y++) {
            for (int x = Math.max(0, cx - radius); x <= Math.min(side - 1, cx + radius); x++) {
                double g = Math.exp(-((x - cx) * (x - cx) + (y - cy) * (y - cy)) / (2 * sigma * sigma));
                int i = offset + y * side + x;
                heat[i] = Math.max(heat[i], (float) g);
            }
        }
    }
}
