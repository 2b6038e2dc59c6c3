package ai.djl.quant.examples;

import ai.djl.inference.Predictor;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.quant.data.FashionMnistDataset;
import ai.djl.quant.zoo.ZooEvaluation;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Loads a quantized classifier from the djl-quant model zoo with a DJL {@link Criteria} (offline:
 * the artifacts are in the zoo jar) and classifies an image file. Without a file, the first
 * Fashion-MNIST test image is written as a PNG and classified.
 *
 * <p>Arguments: {@code [image.png] [quantizer=uniform] [architecture=resnet18]}.
 */
public final class ZooClassify {

    private ZooClassify() {}

    public static void main(String[] args) throws Exception {
        Path file = args.length > 0 && !args[0].isEmpty() ? Paths.get(args[0]) : sampleImage();
        String quantizer = args.length > 1 ? args[1] : "uniform";
        String architecture = args.length > 2 ? args[2] : "resnet18";
        Criteria<Image, Classifications> criteria = Criteria.builder()
                .setTypes(Image.class, Classifications.class)
                .optGroupId("ai.djl.quant")
                .optArtifactId(architecture)
                .optFilter("quantizer", quantizer)
                .optFilter("dataset", "fashion-mnist")
                .build();
        try (ZooModel<Image, Classifications> model = criteria.loadModel();
                Predictor<Image, Classifications> predictor = model.newPredictor()) {
            Image image = ImageFactory.getInstance().fromFile(file);
            Classifications result = predictor.predict(image);
            System.out.printf("%s (%s, %s-bit weights, card accuracy %s %%) on %s:%n", architecture, quantizer,
                    model.getProperty("weightBits"), model.getProperty("accuracy"), file);
            System.out.println(result.topK(3));
        }
    }

    /** Writes test image 0 (an ankle boot) as a PNG and returns its path. */
    static Path sampleImage() throws Exception {
        FashionMnistDataset test = FashionMnistDataset.testSet(1);
        Path file = Files.createTempFile("fashion-mnist-test-0-", ".png");
        try (OutputStream out = Files.newOutputStream(file)) {
            ZooEvaluation.toImage(test.getPixels(0)).save(out, "png");
        }
        System.out.println("test image 0 is a " + FashionMnistDataset.CLASSES[test.getLabel(0)] + ", written to " + file);
        return file;
    }
}
