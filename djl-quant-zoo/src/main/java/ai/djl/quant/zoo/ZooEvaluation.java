package ai.djl.quant.zoo;

import ai.djl.inference.Predictor;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.modality.cv.output.DetectedObjects;
import ai.djl.quant.data.FashionMnistDataset;
import ai.djl.quant.data.FashionMnistScenes;
import ai.djl.quant.training.CocoEvaluator;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.training.dataset.Dataset;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a test set the way a zoo user does: every item becomes a DJL {@link Image} and goes through
 * the model's translator and a {@link Predictor}. The zoo-build command writes the result into the
 * model card, and loading the artifact again must reproduce it.
 */
public final class ZooEvaluation {

    /**
     * The lowest detection score kept for COCO mAP: mAP averages precision over the whole ranked
     * list of detections, so cutting it at the translator's drawing threshold (0.3) would truncate
     * every precision-recall curve; 0.01 with the top 100 peaks per image is CenterNet's own and
     * the PyTorch reference's evaluation ({@code dev/device/centernet_recipe.py}).
     */
    public static final float DETECTION_THRESHOLD = 0.01f;

    /**
     * The leading test images of a classifier's spot check: a tenth of the test set, enough that a
     * wrong file, loader or translator cannot pass, in seconds instead of minutes.
     */
    public static final int SPOT_IMAGES = 1000;

    /** The test scenes a detector's card is scored on. */
    public static final int TEST_SCENES = 2_000;

    /** The leading test scenes of a detector's spot check (an eighth of the {@link #TEST_SCENES}). */
    public static final int SPOT_SCENES = 250;

    private static final int CHUNK = 500;

    private ZooEvaluation() {}

    /**
     * Counts the correctly classified images.
     *
     * @param model a zoo classifier
     * @param data the images (e.g. the full test set)
     * @return correct top-1 predictions
     * @throws TranslateException when prediction fails
     */
    public static long correct(ZooModel<Image, Classifications> model, FashionMnistDataset data) throws TranslateException {
        return classify(model, data, 0).correct();
    }

    /**
     * Counts the correctly classified images, of all and of the first {@code spotImages}, in one pass.
     *
     * @param model a zoo classifier
     * @param data the images (e.g. the full test set)
     * @param spotImages how many leading images the spot check counts (0: none)
     * @return correct top-1 predictions, and the spot check (null when {@code spotImages} is 0)
     * @throws TranslateException when prediction fails
     */
    public static ClassifierScore classify(ZooModel<Image, Classifications> model, FashionMnistDataset data, int spotImages)
            throws TranslateException {
        int n = sizeWithSpotCheck(data.size(), spotImages, "images");
        long correct = 0;
        long spotCorrect = 0;
        try (Predictor<Image, Classifications> predictor = model.newPredictor()) {
            for (int from = 0; from < n; from += CHUNK) {
                List<Image> images = new ArrayList<>();
                for (int i = from; i < Math.min(n, from + CHUNK); i++) {
                    images.add(toImage(data.getPixels(i)));
                }
                List<Classifications> out = predictor.batchPredict(images);
                for (int i = 0; i < out.size(); i++) {
                    if (out.get(i).best().getClassName().equals(FashionMnistDataset.CLASSES[data.getLabel(from + i)])) {
                        correct++;
                        if (from + i < spotImages) {
                            spotCorrect++;
                        }
                    }
                }
            }
        }
        return new ClassifierScore(correct, spotImages == 0 ? null : new ModelCard.SpotCheck(spotImages, spotCorrect, null, null));
    }

    private static int sizeWithSpotCheck(long size, int spot, String items) {
        int n = Math.toIntExact(size);
        if (spot < 0 || spot > n) {
            throw new IllegalArgumentException("a spot check of " + spot + " " + items + " on a set of " + n);
        }
        return n;
    }

    /**
     * A classifier's score.
     *
     * @param correct correct top-1 predictions on the whole set
     * @param spot the same count on the leading images, or null
     */
    public record ClassifierScore(long correct, ModelCard.SpotCheck spot) {}

    /**
     * A detector's score.
     *
     * @param result COCO mAP on the whole set of scenes
     * @param spot the same on the leading scenes, or null
     */
    public record DetectorScore(CocoEvaluator.Result result, ModelCard.SpotCheck spot) {}

    /**
     * The Criteria of a zoo detector as it is evaluated: {@link #DETECTION_THRESHOLD}.
     *
     * @param variant a detector variant
     * @return the builder with group, artifact, filters, types and threshold set
     */
    public static Criteria.Builder<Image, DetectedObjects> detectorCriteria(ZooVariant variant) {
        return variant.criteria().setTypes(Image.class, DetectedObjects.class)
                .optArgument(DetectorModelLoader.THRESHOLD_ARGUMENT, DETECTION_THRESHOLD);
    }

    /**
     * The test scenes detector cards are scored on: the first {@code count} scenes of the
     * Fashion-MNIST test split with the default seed, canvas and items ({@link #TEST_SCENES} for a
     * card, fewer for its spot check or a smoke build, more for a tighter comparison: scene
     * {@code i} is the same whatever the count), ready to read.
     *
     * @param count how many scenes
     * @return the prepared scenes
     * @throws IOException when the Fashion-MNIST test split cannot be read
     */
    public static FashionMnistScenes testScenes(int count) throws IOException {
        FashionMnistScenes scenes = FashionMnistScenes.builder().setSampling(32, false).optUsage(Dataset.Usage.TEST)
                .optScenes(count).build();
        scenes.prepare(null);
        return scenes;
    }

    /**
     * Detects the objects of every scene through the model's translator and a {@link Predictor},
     * and scores the detections against the scenes' boxes (COCO mAP).
     *
     * @param model a zoo detector, loaded with {@link #detectorCriteria} for a COCO score
     * @param scenes the scenes (e.g. the test scenes)
     * @return mAP@[.5:.95], mAP@.5 and per-class AP
     * @throws TranslateException when prediction fails
     */
    public static CocoEvaluator.Result detections(ZooModel<Image, DetectedObjects> model, FashionMnistScenes scenes)
            throws TranslateException {
        return detect(model, scenes, 0).result();
    }

    /**
     * Scores a detector on all scenes and on the first {@code spotScenes}, in one pass.
     *
     * @param model a zoo detector, loaded with {@link #detectorCriteria} for a COCO score
     * @param scenes the scenes (e.g. the test scenes)
     * @param spotScenes how many leading scenes the spot check scores (0: none)
     * @return COCO mAP on all scenes, and the spot check (null when {@code spotScenes} is 0)
     * @throws TranslateException when prediction fails
     */
    public static DetectorScore detect(ZooModel<Image, DetectedObjects> model, FashionMnistScenes scenes, int spotScenes)
            throws TranslateException {
        int n = sizeWithSpotCheck(scenes.size(), spotScenes, "scenes");
        SceneDetections found = collect(model, scenes, n);
        return new DetectorScore(found.score(n), spotScenes == 0 ? null : found.spotCheck(spotScenes));
    }

    /**
     * The ground truth and the detections of some scenes, as the COCO evaluator takes them (image
     * {@code i} is scene {@code i}; boxes in fractions of the canvas).
     *
     * @param truths every object of the scenes
     * @param detections every detection
     */
    public record SceneDetections(List<CocoEvaluator.GroundTruth> truths, List<CocoEvaluator.Detection> detections) {

        /**
         * Scores the first {@code scenes} scenes.
         *
         * @param scenes how many leading scenes count
         * @return COCO mAP@[.5:.95], mAP@.5 and per-class AP
         */
        public CocoEvaluator.Result score(int scenes) {
            CocoEvaluator coco = new CocoEvaluator(FashionMnistDataset.CLASSES.length);
            truths.stream().filter(t -> t.image() < scenes).forEach(coco::add);
            detections.stream().filter(d -> d.image() < scenes).forEach(coco::add);
            return coco.evaluate();
        }

        ModelCard.SpotCheck spotCheck(int scenes) {
            CocoEvaluator.Result spot = score(scenes);
            return new ModelCard.SpotCheck(scenes, -1, spot.map(), spot.map50());
        }
    }

    /**
     * Detects the objects of the first {@code n} scenes through the model's translator and a
     * {@link Predictor}.
     *
     * @param model a zoo detector, loaded with {@link #detectorCriteria} for a COCO score
     * @param scenes the scenes (e.g. the test scenes)
     * @param n how many leading scenes
     * @return their ground truth and detections
     * @throws TranslateException when prediction fails
     */
    public static SceneDetections collect(ZooModel<Image, DetectedObjects> model, FashionMnistScenes scenes, int n)
            throws TranslateException {
        List<CocoEvaluator.GroundTruth> truths = new ArrayList<>();
        List<CocoEvaluator.Detection> detections = new ArrayList<>();
        List<String> names = List.of(FashionMnistDataset.CLASSES);
        double side = scenes.getCanvas();
        try (Predictor<Image, DetectedObjects> predictor = model.newPredictor()) {
            for (int from = 0; from < n; from += CHUNK) {
                List<Image> images = new ArrayList<>();
                List<FashionMnistScenes.Scene> batch = new ArrayList<>();
                for (int i = from; i < Math.min(n, from + CHUNK); i++) {
                    FashionMnistScenes.Scene scene = scenes.scene(i);
                    batch.add(scene);
                    images.add(toImage(scene.pixels(), scenes.getCanvas()));
                }
                List<DetectedObjects> found = predictor.batchPredict(images);
                for (int k = 0; k < found.size(); k++) {
                    int image = from + k;
                    for (DetectedObjects.DetectedObject d : found.get(k).<DetectedObjects.DetectedObject>items()) {
                        var r = d.getBoundingBox().getBounds();
                        detections.add(new CocoEvaluator.Detection(image, names.indexOf(d.getClassName()), d.getProbability(),
                                new CocoEvaluator.Box(r.getX(), r.getY(), r.getWidth(), r.getHeight())));
                    }
                    for (FashionMnistScenes.SceneObject o : batch.get(k).objects()) {
                        truths.add(new CocoEvaluator.GroundTruth(image, o.label(),
                                new CocoEvaluator.Box(o.x() / side, o.y() / side, o.w() / side, o.h() / side)));
                    }
                }
            }
        }
        return new SceneDetections(truths, detections);
    }

    /**
     * Makes a grayscale image from pixels in {@code [0, 1]}.
     *
     * @param pixels 28×28 values, row-major
     * @return the image (gray stored as equal red, green and blue)
     */
    public static Image toImage(float[] pixels) {
        return toImage(pixels, FashionMnistDataset.SIDE);
    }

    /**
     * Makes a square grayscale image from pixels in {@code [0, 1]}.
     *
     * @param pixels side×side values, row-major
     * @param side the side
     * @return the image (gray stored as equal red, green and blue)
     */
    public static Image toImage(float[] pixels, int side) {
        int[] argb = new int[pixels.length];
        for (int i = 0; i < pixels.length; i++) {
            int v = Math.round(pixels[i] * 255f);
            argb[i] = 0xff000000 | (v << 16) | (v << 8) | v;
        }
        return ImageFactory.getInstance().fromPixels(argb, side, side);
    }
}
