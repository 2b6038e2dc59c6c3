package ai.djl.quant.zoo;

import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.util.NDImageUtils;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.quant.data.FashionMnistDataset;
import ai.djl.quant.nn.GraphConstants;
import ai.djl.translate.Batchifier;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import java.util.Arrays;

/**
 * Image to Fashion-MNIST class: the image is read as grayscale, resized to 28×28 when needed,
 * scaled to {@code [0, 1]} and normalised as in training, {@code x' = (x/255 - 0.2860) / 0.3530};
 * the logits become a softmax over the ten class names. Fashion-MNIST items are light on a black
 * background: a photo of a dark item on white should be inverted first.
 */
public class FashionMnistTranslator implements Translator<Image, Classifications> {

    @Override
    public NDList processInput(TranslatorContext ctx, Image input) {
        return new NDList(normalizedGrayscale(ctx, input, FashionMnistDataset.SIDE));
    }

    /**
     * An image as the zoo's models take it: grayscale, resized to {@code side}×{@code side} when
     * needed, {@code (x/255 - 0.2860) / 0.3530}, shape (1, side, side).
     *
     * @param ctx the translator context
     * @param image the image
     * @param side the model's input side
     * @return the tensor
     */
    public static NDArray normalizedGrayscale(TranslatorContext ctx, Image image, int side) {
        NDArray pixels = image.toNDArray(ctx.getNDManager(), Image.Flag.GRAYSCALE);
        if (pixels.getShape().get(0) != side || pixels.getShape().get(1) != side) {
            pixels = NDImageUtils.resize(pixels, side, side);
        }
        NDArray scaled = GraphConstants.div(pixels.toType(DataType.FLOAT32, false), 255);
        NDArray x = GraphConstants.div(scaled.sub(FashionMnistDataset.MEAN), FashionMnistDataset.STD);
        return x.transpose(2, 0, 1);
    }

    @Override
    public Classifications processOutput(TranslatorContext ctx, NDList list) {
        NDArray probabilities = list.head().softmax(0);
        return new Classifications(Arrays.asList(FashionMnistDataset.CLASSES), probabilities);
    }

    @Override
    public Batchifier getBatchifier() {
        return Batchifier.STACK;
    }
}
