package ai.djl.quant.zoo;

import ai.djl.inference.Predictor;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.quant.data.FashionMnistDataset;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslateException;
import java.util.ArrayList;
import java.util.List;

/**
 * Classifies a Fashion-MNIST set the way a zoo user does: every item becomes a DJL {@link Image}
 * and goes through the model's translator and a {@link Predictor}. The zoo-build command writes
 * this count into the model card, and loading the artifact again must reproduce it.
 */
public final class ZooEvaluation {

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
     * Makes a grayscale image from pixels in {@code [0, 1]}.
     *
     * @param pixels 28×28 values, row-major
     * @return the image (gray stored as equal red, green and blue)
     */
    public static Image toImage(float[] pixels) {
        int[] argb = new int[pixels.length];
        for (int i = 0; i < pixels.length; i++) {
            int v = Math.round(pixels[i] * 255f);
            argb[i] = 0xff000000 | (v << 16) | (v << 8) | v;
        }
        return ImageFactory.getInstance().fromPixels(argb, FashionMnistDataset.SIDE, FashionMnistDataset.SIDE);
    }
}
