package ai.djl.quant.examples;

import ai.djl.inference.Predictor;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.modality.cv.output.DetectedObjects;
import ai.djl.quant.data.FashionMnistScenes;
import ai.djl.quant.zoo.ZooEvaluation;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Detects Fashion-MNIST items in test scenes with the zoo's CenterNet (uniform W8A8 by default) and
 * saves each scene with its predicted boxes drawn (DJL's {@code Image.drawBoundingBoxes}), enlarged
 * {@value #ZOOM}× so that the labels are readable and in inverted grey (dark items on white) so that
 * every box colour shows, plus all of them side by side in {@code detections.png}.
 *
 * <p>Arguments: {@code [quantizer=uniform] [scenes=4] [outputDir=build/detections]}.
 */
public final class CenterNetDetect {

    private CenterNetDetect() {}

    public static void main(String[] args) throws Exception {
        String quantizer = args.length > 0 ? args[0] : "uniform";
        int count = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        Path dir = Paths.get(args.length > 2 ? args[2] : "build/detections");
        Files.createDirectories(dir);
        FashionMnistScenes scenes = ZooEvaluation.testScenes(count);
        Criteria<Image, DetectedObjects> criteria = Criteria.builder()
                .setTypes(Image.class, DetectedObjects.class)
                .optGroupId("ai.djl.quant")
                .optArtifactId("centernet")
                .optFilter("quantizer", quantizer)
                .build();
        BufferedImage[] drawn = new BufferedImage[count];
        try (ZooModel<Image, DetectedObjects> model = criteria.loadModel();
                Predictor<Image, DetectedObjects> predictor = model.newPredictor()) {
            for (int i = 0; i < count; i++) {
                FashionMnistScenes.Scene scene = scenes.scene(i);
                Image image = ZooEvaluation.toImage(scene.pixels(), scenes.getCanvas());
                DetectedObjects found = predictor.predict(image);
                // boxes are relative to the image, so they land in the same place on the enlarged copy
                Image large = enlarged(image);
                large.drawBoundingBoxes(found);
                drawn[i] = (BufferedImage) large.getWrappedImage();
                Path file = dir.resolve("scene-" + i + ".png");
                save(large, file);
                System.out.printf("scene %d: truth %s%n  found %s%n  drawn in %s%n", i, scene.objects(), found, file);
            }
        }
        Path montage = dir.resolve("detections.png");
        save(ImageFactory.getInstance().fromImage(sideBySide(drawn)), montage);
        System.out.println("all scenes: " + montage);
    }

    private static final int ZOOM = 3;

    private static Image enlarged(Image image) {
        BufferedImage source = (BufferedImage) image.getWrappedImage();
        BufferedImage large = new BufferedImage(source.getWidth() * ZOOM, source.getHeight() * ZOOM, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = large.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
        g.drawImage(source, 0, 0, large.getWidth(), large.getHeight(), null);
        g.dispose();
        // dark items on white: DJL draws each class in a random dark colour, invisible on black
        for (int y = 0; y < large.getHeight(); y++) {
            for (int x = 0; x < large.getWidth(); x++) {
                large.setRGB(x, y, ~large.getRGB(x, y) | 0xff000000);
            }
        }
        return ImageFactory.getInstance().fromImage(large);
    }

    private static BufferedImage sideBySide(BufferedImage[] images) {
        int gap = 8;
        int width = 0;
        int height = 0;
        for (BufferedImage image : images) {
            width += image.getWidth() + gap;
            height = Math.max(height, image.getHeight());
        }
        BufferedImage row = new BufferedImage(Math.max(1, width - gap), Math.max(1, height), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = row.createGraphics();
        g.setColor(java.awt.Color.WHITE);
        g.fillRect(0, 0, row.getWidth(), row.getHeight());
        int x = 0;
        for (BufferedImage image : images) {
            g.drawImage(image, x, 0, null);
            x += image.getWidth() + gap;
        }
        g.dispose();
        return row;
    }

    private static void save(Image image, Path file) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            image.save(out, "png");
        }
    }
}
