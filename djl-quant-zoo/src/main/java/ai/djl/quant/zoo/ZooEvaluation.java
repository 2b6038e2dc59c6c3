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
import ai.djl.translate.TranslateException;
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
        long correct = 0;
        int n = Math.toIntExact(data.size());
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
                    }
                }
            }
        }
        return correct;
    }

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
        CocoEvaluator coco = new CocoEvaluator(FashionMnistDataset.CLASSES.length);
        List<String> names = List.of(FashionMnistDataset.CLASSES);
        int n = Math.toIntExact(scenes.size());
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
                        coco.add(new CocoEvaluator.Detection(image, names.indexOf(d.getClassName()), d.getProbability(),
                                new CocoEvaluator.Box(r.getX(), r.getY(), r.getWidth(), r.getHeight())));
                    }
                    double side = scenes.getCanvas();
                    for (FashionMnistScenes.SceneObject o : batch.get(k).objects()) {
                        coco.add(new CocoEvaluator.GroundTruth(image, o.label(),
                                new CocoEvaluator.Box(o.x() / side, o.y() / side, o.w() / side, o.h() / side)));
                    }
                }
            }
        }
        return coco.evaluate();
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
