package ai.djl.quant.data;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.quant.training.CocoEvaluator;
import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.training.dataset.Record;
import ai.djl.util.Progress;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A detection data set made from real Fashion-MNIST items: each scene is a black square canvas with
 * 1 to 4 items pasted at random scales and positions (limited overlap), and a tight box around each
 * item's pixels. Train scenes take their items from the train split, test scenes from the test
 * split. Scene {@code i} depends only on the seed and {@code i}, so the set is reproducible in any
 * order.
 *
 * <p>Records: the image (1, S, S) normalised as Fashion-MNIST, and a (4, 5) label array of
 * {@code [class, x, y, w, h]} rows (top-left corner and size, relative to the canvas) padded with
 * rows of -1, DJL's detection label layout.
 */
public final class FashionMnistScenes extends RandomAccessDataset {

    /** The most objects a scene holds (the label rows). */
    public static final int MAX_OBJECTS = 4;

    /** Item pixels above this value belong to the item's box. */
    private static final float INK = 0.1f;

    private final FashionMnistDataset items;
    private final int canvas;
    private final int scenes;
    private final int minItems;
    private final int maxItems;
    private final double minScale;
    private final double maxScale;
    private final double maxOverlap;
    private final long seed;

    private FashionMnistScenes(Builder builder) {
        super(builder);
        this.items = FashionMnistDataset.builder()
                .optUsage(builder.usage)
                .optDirectory(builder.directory)
                .setSampling(1, false)
                .build();
        this.canvas = builder.canvas;
        this.scenes = builder.scenes;
        this.minItems = builder.minItems;
        this.maxItems = builder.maxItems;
        this.minScale = builder.minScale;
        this.maxScale = builder.maxScale;
        this.maxOverlap = builder.maxOverlap;
        this.seed = builder.seed;
    }

    /**
     * Creates a builder (train split, 96×96, 1-4 items at 1× to 2× scale, 10 000 scenes).
     *
     * @return the builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * One object of a scene: its class and box in pixels.
     *
     * @param label the Fashion-MNIST class
     * @param x the left edge
     * @param y the top edge
     * @param w the width
     * @param h the height
     */
    public record SceneObject(int label, int x, int y, int w, int h) {
        double iou(SceneObject o) {
            return box().iou(o.box());
        }

        /**
         * Returns the box in pixels, for IoU computations.
         *
         * @return the box
         */
        public CocoEvaluator.Box box() {
            return new CocoEvaluator.Box(x, y, w, h);
        }
    }

    /**
     * A scene: pixels in [0, 1] (S×S, row-major) and its objects.
     *
     * @param pixels the canvas
     * @param objects the objects
     */
    public record Scene(float[] pixels, List<SceneObject> objects) {}

    @Override
    public void prepare(Progress progress) throws IOException {
        items.prepare(progress);
    }

    /**
     * Builds scene {@code index}.
     *
     * @param index the scene index
     * @return the scene
     */
    public Scene scene(int index) {
        Random random = SeededShuffle.random(seed, index);
        float[] pixels = new float[canvas * canvas];
        List<SceneObject> objects = new ArrayList<>();
        int wanted = minItems + random.nextInt(maxItems - minItems + 1);
        int itemCount = Math.toIntExact(items.size());
        for (int attempt = 0; objects.size() < wanted && attempt < 30 * wanted; attempt++) {
            int item = random.nextInt(itemCount);
            int side = (int) Math.round(FashionMnistDataset.SIDE * (minScale + random.nextDouble() * (maxScale - minScale)));
            side = Math.min(side, canvas);
            int x0 = random.nextInt(canvas - side + 1);
            int y0 = random.nextInt(canvas - side + 1);
            float[] scaled = resize(items.getPixels(item), FashionMnistDataset.SIDE, side);
            int left = side;
            int top = side;
            int right = -1;
            int bottom = -1;
            for (int y = 0; y < side; y++) {
                for (int x = 0; x < side; x++) {
                    if (scaled[y * side + x] > INK) {
                        left = Math.min(left, x);
                        right = Math.max(right, x);
                        top = Math.min(top, y);
                        bottom = Math.max(bottom, y);
                    }
                }
            }
            if (right < 0) {
                continue; // an empty item
            }
            SceneObject candidate = new SceneObject(items.getLabel(item), x0 + left, y0 + top, right - left + 1, bottom - top + 1);
            if (objects.stream().anyMatch(o -> o.iou(candidate) > maxOverlap)) {
                continue;
            }
            for (int y = 0; y < side; y++) {
                for (int x = 0; x < side; x++) {
                    int p = (y0 + y) * canvas + x0 + x;
                    pixels[p] = Math.max(pixels[p], scaled[y * side + x]);
                }
            }
            objects.add(candidate);
        }
        return new Scene(pixels, objects);
    }

    /** Bilinear resize of a square image. */
    static float[] resize(float[] image, int from, int to) {
        float[] out = new float[to * to];
        double ratio = (double) from / to;
        for (int y = 0; y < to; y++) {
            double sy = Math.max(0, (y + 0.5) * ratio - 0.5);
            int y0 = Math.min((int) sy, from - 1);
            int y1 = Math.min(y0 + 1, from - 1);
            double fy = sy - y0;
            for (int x = 0; x < to; x++) {
                double sx = Math.max(0, (x + 0.5) * ratio - 0.5);
                int x0 = Math.min((int) sx, from - 1);
                int x1 = Math.min(x0 + 1, from - 1);
                double fx = sx - x0;
                double top = image[y0 * from + x0] * (1 - fx) + image[y0 * from + x1] * fx;
                double bottom = image[y1 * from + x0] * (1 - fx) + image[y1 * from + x1] * fx;
                out[y * to + x] = (float) (top * (1 - fy) + bottom * fy);
            }
        }
        return out;
    }

    @Override
    public Record get(NDManager manager, long index) {
        Scene scene = scene(Math.toIntExact(index));
        float[] x = new float[scene.pixels().length];
        for (int i = 0; i < x.length; i++) {
            x[i] = (scene.pixels()[i] - FashionMnistDataset.MEAN) / FashionMnistDataset.STD;
        }
        float[] label = new float[MAX_OBJECTS * 5];
        java.util.Arrays.fill(label, -1f);
        for (int i = 0; i < scene.objects().size(); i++) {
            SceneObject o = scene.objects().get(i);
            label[i * 5] = o.label();
            label[i * 5 + 1] = (float) o.x() / canvas;
            label[i * 5 + 2] = (float) o.y() / canvas;
            label[i * 5 + 3] = (float) o.w() / canvas;
            label[i * 5 + 4] = (float) o.h() / canvas;
        }
        return new Record(
                new NDList(manager.create(x, new Shape(1, canvas, canvas))),
                new NDList(manager.create(label, new Shape(MAX_OBJECTS, 5))));
    }

    @Override
    protected long availableSize() {
        return scenes;
    }

    /**
     * Returns the canvas side.
     *
     * @return pixels
     */
    public int getCanvas() {
        return canvas;
    }

    /** The builder of {@link FashionMnistScenes}. */
    public static final class Builder extends BaseBuilder<Builder> {

        private Usage usage = Usage.TRAIN;
        private java.nio.file.Path directory;
        private int canvas = 96;
        private int scenes = 10_000;
        private int minItems = 1;
        private int maxItems = MAX_OBJECTS;
        private double minScale = 1.0;
        private double maxScale = 2.0;
        private double maxOverlap = 0.2;
        private long seed = 17;

        Builder() {}

        @Override
        protected Builder self() {
            return this;
        }

        /**
         * Chooses the split the items come from.
         *
         * @param usage train or test
         * @return this builder
         */
        public Builder optUsage(Usage usage) {
            this.usage = usage;
            return this;
        }

        /**
         * Reads Fashion-MNIST from a directory instead of the default locations.
         *
         * @param directory the directory
         * @return this builder
         */
        public Builder optDirectory(java.nio.file.Path directory) {
            this.directory = directory;
            return this;
        }

        /**
         * Sets the canvas side.
         *
         * @param side pixels (at least 28)
         * @return this builder
         */
        public Builder optCanvas(int side) {
            this.canvas = side;
            return this;
        }

        /**
         * Sets the number of scenes.
         *
         * @param count scenes
         * @return this builder
         */
        public Builder optScenes(int count) {
            this.scenes = count;
            return this;
        }

        /**
         * Sets how many items a scene holds.
         *
         * @param min at least 1
         * @param max at most {@link #MAX_OBJECTS}
         * @return this builder
         */
        public Builder optItems(int min, int max) {
            this.minItems = min;
            this.maxItems = max;
            return this;
        }

        /**
         * Sets the item scales (1 = 28 pixels).
         *
         * @param min the smallest
         * @param max the largest
         * @return this builder
         */
        public Builder optScales(double min, double max) {
            this.minScale = min;
            this.maxScale = max;
            return this;
        }

        /**
         * Sets the largest IoU allowed between two items' boxes.
         *
         * @param iou in [0, 1]
         * @return this builder
         */
        public Builder optMaxOverlap(double iou) {
            this.maxOverlap = iou;
            return this;
        }

        /**
         * Sets the seed.
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Builds the data set.
         *
         * @return the scenes
         * @throws IllegalArgumentException for inconsistent sizes
         */
        public FashionMnistScenes build() {
            if (canvas < FashionMnistDataset.SIDE || scenes < 1 || minItems < 1 || maxItems > MAX_OBJECTS || minItems > maxItems
                    || !(minScale > 0) || maxScale < minScale || maxScale * FashionMnistDataset.SIDE > canvas) {
                throw new IllegalArgumentException(String.format(
                        "FashionMnistScenes: canvas %d, %d scenes, %d-%d items (at most %d), scales %s-%s (items must fit the canvas)",
                        canvas, scenes, minItems, maxItems, MAX_OBJECTS, minScale, maxScale));
            }
            return new FashionMnistScenes(this);
        }
    }
}
