package ai.djl.quant.examples;

import ai.djl.inference.Predictor;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.output.DetectedObjects;
import ai.djl.quant.data.FashionMnistScenes;
import ai.djl.quant.zoo.ZooEvaluation;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.training.dataset.Dataset;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Detects Fashion-MNIST items in test scenes with the zoo's CenterNet (n-hot(8,2) by default) and
 * saves each scene with its predicted boxes drawn (DJL's {@code Image.drawBoundingBoxes}).
 *
 * <p>Arguments: {@code [quantizer=nhot] [scenes=4] [outputDir=build/detections]}.
 */
public final class CenterNetDetect {

    private CenterNetDetect() {}

    public static void main(String[] args) throws Exception {
        String quantizer = args.length > 0 ? args[0] : "nhot";
        int count = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        Path dir = Paths.get(args.length > 2 ? args[2] : "build/detections");
        Files.createDirectories(dir);
        FashionMnistScenes scenes = FashionMnistScenes.builder().setSampling(1, false).optUsage(Dataset.Usage.TEST)
                .optScenes(count).build();
        scenes.prepare(null);
        Criteria<Image, DetectedObjects> criteria = Criteria.builder()
                .setTypes(Image.class, DetectedObjects.class)
                .optGroupId("ai.djl.quant")
                .optArtifactId("centernet")
                .optFilter("quantizer", quantizer)
                .build();
        try (ZooModel<Image, DetectedObjects> model = criteria.loadModel();
                Predictor<Image, DetectedObjects> predictor = model.newPredictor()) {
            for (int i = 0; i < count; i++) {
                FashionMnistScenes.Scene scene = scenes.scene(i);
                Image image = ZooEvaluation.toImage(scene.pixels(), scenes.getCanvas());
                DetectedObjects found = predictor.predict(image);
                image.drawBoundingBoxes(found);
                Path file = dir.resolve("scene-" + i + ".png");
                try (OutputStream out = Files.newOutputStream(file)) {
                    image.save(out, "png");
                }
                System.out.printf("scene %d: truth %s%n  found %s%n  drawn in %s%n", i, scene.objects(), found, file);
            }
        }
    }
}
