package ai.djl.quant.zoo.detection;

import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.output.BoundingBox;
import ai.djl.modality.cv.output.DetectedObjects;
import ai.djl.modality.cv.output.Rectangle;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.quant.data.FashionMnistDataset;
import ai.djl.quant.zoo.FashionMnistTranslator;
import ai.djl.translate.Batchifier;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import java.util.ArrayList;
import java.util.List;

/**
 * Image to detected Fashion-MNIST items with CenterNet: the image is read as grayscale, resized to
 * the model's canvas, normalised as Fashion-MNIST; the output is decoded by {@link
 * CenterNetDecoder} (top 100 peaks above the score threshold) into {@link DetectedObjects} with
 * boxes relative to the image.
 */
public class CenterNetTranslator implements Translator<Image, DetectedObjects> {

    private final int canvas;
    private final float threshold;

    /**
     * Creates the translator.
     *
     * @param canvas the side the model was trained on (96 for the zoo model)
     * @param threshold the lowest score reported, in (0, 1)
     * @throws IllegalArgumentException when the threshold is outside (0, 1)
     */
    public CenterNetTranslator(int canvas, float threshold) {
        if (!(threshold > 0 && threshold < 1)) {
            throw new IllegalArgumentException("CenterNet score threshold " + threshold
                    + " is not in (0, 1): scores are sigmoid probabilities; COCO evaluation uses 0.01, drawing 0.3");
        }
        this.canvas = canvas;
        this.threshold = threshold;
    }

    @Override
    public NDList processInput(TranslatorContext ctx, Image input) {
        return new NDList(FashionMnistTranslator.normalizedGrayscale(ctx, input, canvas));
    }

    @Override
    public DetectedObjects processOutput(TranslatorContext ctx, NDList list) {
        NDArray out = list.head();
        int classes = (int) out.getShape().get(0) - 4;
        int side = (int) out.getShape().get(1);
        List<String> names = new ArrayList<>();
        List<Double> scores = new ArrayList<>();
        List<BoundingBox> boxes = new ArrayList<>();
        for (CenterNetDecoder.Detection d : CenterNetDecoder.decode(out.toFloatArray(), classes, side, 100, threshold)) {
            names.add(FashionMnistDataset.CLASSES[d.label()]);
            scores.add((double) d.score());
            boxes.add(new Rectangle(d.x(), d.y(), d.w(), d.h()));
        }
        return new DetectedObjects(names, scores, boxes);
    }

    @Override
    public Batchifier getBatchifier() {
        return Batchifier.STACK;
    }
}
