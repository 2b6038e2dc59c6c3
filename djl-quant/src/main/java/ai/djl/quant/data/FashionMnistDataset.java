package ai.djl.quant.data;

import ai.djl.basicdataset.cv.classification.FashionMnist;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.quant.nn.GraphConstants;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.training.dataset.Record;
import ai.djl.training.dataset.Sampler;
import ai.djl.translate.Batchifier;
import ai.djl.util.Progress;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.zip.GZIPInputStream;

/**
 * Fashion-MNIST (60k train / 10k test, 28×28 grey) as a DJL dataset, normalised with mean 0.2860
 * and std 0.3530, optionally augmented with a random translation of up to 2 pixels and a
 * horizontal flip (per image).
 *
 * <p>Where the data comes from, in order:
 *
 * <ol>
 *   <li>a directory given with {@link Builder#optDirectory} holding the four IDX files ({@code
 *       train-images-idx3-ubyte[.gz]}, …);
 *   <li>the directory in the {@code FASHION_MNIST_DIR} environment variable or the {@code
 *       fashion.mnist.dir} system property;
 *   <li>{@code /usr/share/datasets/fashion-mnist} (Debian/Ubuntu package {@code
 *       dataset-fashion-mnist});
 *   <li>with {@link Builder#optDjlRepository(boolean)}, DJL's own {@link FashionMnist} dataset and
 *       repository (downloads on first use).
 * </ol>
 *
 * <p>Batches are assembled directly from a Java array (one NDArray per batch), which keeps the
 * data pipeline far below the cost of a training step on 2 cores.
 */
public final class FashionMnistDataset extends RandomAccessDataset {

    /** The normalisation mean. */
    public static final float MEAN = 0.2860f;
    /** The normalisation standard deviation. */
    public static final float STD = 0.3530f;
    /** The image side. */
    public static final int SIDE = 28;
    /** The class names, in label order. */
    public static final String[] CLASSES = {
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"
    };
    /** The Debian package's directory. */
    public static final Path SYSTEM_DIRECTORY = Paths.get("/usr/share/datasets/fashion-mnist");

    private static final int PIXELS = SIDE * SIDE;
    private static final int SHIFT = 2;

    private final Usage usage;
    private final Path directory;
    private final boolean useDjlRepository;
    private final boolean augment;
    private final boolean shuffle;
    private final int batchSize;
    private final long seed;
    private final int limit;
    private float[] images;
    private int[] labels;
    private int epoch;

    private FashionMnistDataset(Builder builder) {
        super(builder);
        usage = builder.usage;
        directory = builder.directory;
        useDjlRepository = builder.djlRepository;
        augment = builder.augment;
        shuffle = builder.shuffle;
        batchSize = builder.batchSize;
        seed = builder.seed;
        limit = builder.limitImages;
    }

    /**
     * Creates a builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The 60k training images, shuffled and augmented every pass, loaded and ready.
     *
     * @param batchSize the batch size
     * @return the prepared dataset
     * @throws IOException when the data is missing (the message says how to install it)
     */
    public static FashionMnistDataset trainingSet(int batchSize) throws IOException {
        FashionMnistDataset set =
                builder().optUsage(Usage.TRAIN).optAugment(true).setSampling(batchSize, true).build();
        set.prepare(null);
        return set;
    }

    /**
     * The 10k test images in order, without augmentation, loaded and ready.
     *
     * @param batchSize the batch size
     * @return the prepared dataset
     * @throws IOException when the data is missing (the message says how to install it)
     */
    public static FashionMnistDataset testSet(int batchSize) throws IOException {
        FashionMnistDataset set = builder().optUsage(Usage.TEST).setSampling(batchSize, false).build();
        set.prepare(null);
        return set;
    }

    /**
     * Finds the directory with the IDX files, or explains how to get them.
     *
     * @param explicit a directory the user named, or null
     * @return the directory
     * @throws IOException when no directory holds the files, with the ways to install them
     */
    public static Path locate(Path explicit) throws IOException {
        if (explicit != null) {
            if (!hasFiles(explicit)) {
                throw new IOException(
                        "Fashion-MNIST IDX files (train-images-idx3-ubyte[.gz] …) not found in "
                                + explicit.toAbsolutePath());
            }
            return explicit;
        }
        String env = System.getenv("FASHION_MNIST_DIR");
        String prop = System.getProperty("fashion.mnist.dir");
        for (String candidate : new String[] {prop, env}) {
            if (candidate != null && !candidate.isBlank() && hasFiles(Paths.get(candidate))) {
                return Paths.get(candidate);
            }
        }
        if (hasFiles(SYSTEM_DIRECTORY)) {
            return SYSTEM_DIRECTORY;
        }
        throw new IOException(
                "Fashion-MNIST was not found. Install it with\n"
                        + "    sudo apt-get update && sudo apt-get install -y dataset-fashion-mnist\n"
                        + "(files in "
                        + SYSTEM_DIRECTORY
                        + "), or point FASHION_MNIST_DIR / -Dfashion.mnist.dir at a directory with"
                        + " the four IDX files, or use FashionMnistDataset.builder()"
                        + ".optDjlRepository(true) to download through DJL's repository.");
    }

    private static boolean hasFiles(Path dir) {
        return resolveFile(dir, "train-images-idx3-ubyte") != null
                && resolveFile(dir, "t10k-labels-idx1-ubyte") != null;
    }

    private static Path resolveFile(Path dir, String name) {
        for (String candidate : new String[] {name + ".gz", name}) {
            Path p = dir.resolve(candidate);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        return null;
    }

    @Override
    public void prepare(Progress progress) throws IOException {
        if (images != null) {
            return;
        }
        if (useDjlRepository) {
            loadFromDjl(progress);
        } else {
            Path dir = locate(directory);
            String prefix = usage == Usage.TRAIN ? "train" : "t10k";
            labels = readLabels(resolveFile(dir, prefix + "-labels-idx1-ubyte"));
            images = readImages(resolveFile(dir, prefix + "-images-idx3-ubyte"), labels.length);
        }
        if (limit < labels.length) {
            labels = java.util.Arrays.copyOf(labels, limit);
            images = java.util.Arrays.copyOf(images, limit * PIXELS);
        }
    }

    private void loadFromDjl(Progress progress) throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            FashionMnist djl =
                    FashionMnist.builder()
                            .optUsage(usage)
                            .optManager(manager)
                            .setSampling(1, false)
                            .build();
            djl.prepare(progress);
            NDArray data = arrayField(djl, "data");
            NDArray label = arrayField(djl, "labels");
            images = GraphConstants.div(data, 255).toFloatArray();
            float[] l = label.toFloatArray();
            labels = new int[l.length];
            for (int i = 0; i < l.length; i++) {
                labels[i] = (int) l[i];
            }
        }
    }

    private static NDArray arrayField(ArrayDataset dataset, String name) throws IOException {
        try {
            Field field = ArrayDataset.class.getDeclaredField(name);
            field.setAccessible(true);
            return ((NDArray[]) field.get(dataset))[0];
        } catch (ReflectiveOperationException e) {
            throw new IOException("Unsupported DJL version: cannot read FashionMnist." + name, e);
        }
    }

    private static DataInputStream open(Path file) throws IOException {
        InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        if (file.getFileName().toString().endsWith(".gz")) {
            in = new GZIPInputStream(in, 1 << 16);
        }
        return new DataInputStream(in);
    }

    static int[] readLabels(Path file) throws IOException {
        try (DataInputStream in = open(file)) {
            int magic = in.readInt();
            if (magic != 2049) {
                throw new IOException(file + " is not an IDX label file (magic " + magic + ")");
            }
            int n = in.readInt();
            byte[] raw = in.readNBytes(n);
            if (raw.length != n) {
                throw new IOException(file + " is truncated: " + raw.length + " of " + n + " labels");
            }
            int[] out = new int[n];
            for (int i = 0; i < n; i++) {
                out[i] = raw[i] & 0xFF;
            }
            return out;
        }
    }

    static float[] readImages(Path file, int expected) throws IOException {
        try (DataInputStream in = open(file)) {
            int magic = in.readInt();
            int n = in.readInt();
            int rows = in.readInt();
            int cols = in.readInt();
            if (magic != 2051 || rows != SIDE || cols != SIDE || n != expected) {
                throw new IOException(
                        file + " is not a 28x28 IDX image file matching its " + expected + " labels");
            }
            byte[] raw = in.readNBytes(n * PIXELS);
            if (raw.length != n * PIXELS) {
                throw new IOException(file + " is truncated");
            }
            float[] out = new float[raw.length];
            for (int i = 0; i < raw.length; i++) {
                out[i] = (raw[i] & 0xFF) / 255f;
            }
            return out;
        }
    }

    /**
     * Returns the label of an image.
     *
     * @param index the image index
     * @return the class, 0 to 9
     */
    public int getLabel(int index) {
        return labels[index];
    }

    /**
     * Returns the raw pixels of an image, in {@code [0, 1]}, row-major.
     *
     * @param index the image index
     * @return a copy of the 784 pixels
     */
    public float[] getPixels(int index) {
        float[] out = new float[PIXELS];
        System.arraycopy(images, index * PIXELS, out, 0, PIXELS);
        return out;
    }

    @Override
    protected long availableSize() {
        return labels == null ? limit : labels.length;
    }

    @Override
    public Record get(NDManager manager, long index) {
        int i = Math.toIntExact(index);
        float[] pixels = new float[PIXELS];
        writeImage(i, pixels, 0, null);
        NDArray image = manager.create(pixels, new Shape(1, SIDE, SIDE));
        return new Record(new NDList(image), new NDList(manager.create((float) labels[i])));
    }

    /**
     * Normalises image {@code i} into {@code out}, shifted and flipped when {@code random} is not
     * null.
     */
    private void writeImage(int i, float[] out, int offset, Random random) {
        int dx = 0;
        int dy = 0;
        boolean flip = false;
        if (random != null) {
            dx = random.nextInt(2 * SHIFT + 1) - SHIFT;
            dy = random.nextInt(2 * SHIFT + 1) - SHIFT;
            flip = random.nextBoolean();
        }
        int base = i * PIXELS;
        float zero = -MEAN / STD;
        for (int y = 0; y < SIDE; y++) {
            int sy = y - dy;
            for (int x = 0; x < SIDE; x++) {
                int sx = (flip ? SIDE - 1 - x : x) - dx;
                float v =
                        sy < 0 || sy >= SIDE || sx < 0 || sx >= SIDE
                                ? zero
                                : (images[base + sy * SIDE + sx] - MEAN) / STD;
                out[offset + y * SIDE + x] = v;
            }
        }
    }

    @Override
    public Iterable<Batch> getData(NDManager manager, Sampler sampler, ExecutorService executor)
            throws IOException {
        prepare(null);
        int n = labels.length;
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        // A new permutation and new augmentations per pass, reproducible from the seed.
        Random random = new Random(seed + 7919L * epoch++);
        if (shuffle) {
            SeededShuffle.shuffle(order, random);
        }
        int batches = (n + batchSize - 1) / batchSize;
        return () ->
                new Iterator<>() {
                    private int next;

                    @Override
                    public boolean hasNext() {
                        return next < batches;
                    }

                    @Override
                    public Batch next() {
                        if (!hasNext()) {
                            throw new NoSuchElementException();
                        }
                        int from = next * batchSize;
                        int size = Math.min(batchSize, n - from);
                        float[] pixels = new float[size * PIXELS];
                        float[] y = new float[size];
                        for (int k = 0; k < size; k++) {
                            int i = order[from + k];
                            writeImage(i, pixels, k * PIXELS, augment ? random : null);
                            y[k] = labels[i];
                        }
                        NDManager batchManager = manager.newSubManager();
                        NDArray x = batchManager.create(pixels, new Shape(size, 1, SIDE, SIDE));
                        NDArray l = batchManager.create(y).toType(DataType.FLOAT32, false);
                        next++;
                        return new Batch(
                                batchManager,
                                new NDList(x),
                                new NDList(l),
                                size,
                                Batchifier.STACK,
                                Batchifier.STACK,
                                next,
                                batches);
                    }
                };
    }

    /** The builder of {@link FashionMnistDataset}. */
    public static final class Builder extends BaseBuilder<Builder> {

        private Usage usage = Usage.TRAIN;
        private Path directory;
        private boolean djlRepository;
        private boolean augment;
        private boolean shuffle;
        private int batchSize = 128;
        private long seed = 42;
        private int limitImages = Integer.MAX_VALUE;

        Builder() {}

        @Override
        protected Builder self() {
            return this;
        }

        @Override
        public Builder setSampling(int batchSize, boolean random) {
            this.batchSize = batchSize;
            this.shuffle = random;
            return super.setSampling(batchSize, random);
        }

        /**
         * Chooses the split.
         *
         * @param usage TRAIN (60k) or TEST (10k)
         * @return this builder
         */
        public Builder optUsage(Usage usage) {
            if (usage != Usage.TRAIN && usage != Usage.TEST) {
                throw new IllegalArgumentException("Fashion-MNIST has TRAIN and TEST splits only");
            }
            this.usage = usage;
            return this;
        }

        /**
         * Reads the IDX files from this directory.
         *
         * @param directory a directory with the four IDX files (gzipped or not)
         * @return this builder
         */
        public Builder optDirectory(Path directory) {
            this.directory = directory;
            return this;
        }

        /**
         * Loads through DJL's {@link FashionMnist} dataset and repository (downloads once).
         *
         * @param use true to use DJL's repository
         * @return this builder
         */
        public Builder optDjlRepository(boolean use) {
            this.djlRepository = use;
            return this;
        }

        /**
         * Turns on random 2-pixel translation and horizontal flip.
         *
         * @param augment true for training augmentation
         * @return this builder
         */
        public Builder optAugment(boolean augment) {
            this.augment = augment;
            return this;
        }

        /**
         * Sets the seed of shuffling and augmentation.
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Keeps only the first images (for quick runs).
         *
         * @param count the number of images
         * @return this builder
         */
        public Builder optLimitImages(int count) {
            this.limitImages = count;
            return this;
        }

        /**
         * Builds the dataset; call {@code prepare()} to load it.
         *
         * @return the dataset
         */
        public FashionMnistDataset build() {
            if (sampler == null) {
                setSampling(batchSize, shuffle);
            }
            return new FashionMnistDataset(this);
        }
    }
}
