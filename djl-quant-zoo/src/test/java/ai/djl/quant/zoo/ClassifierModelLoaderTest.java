package ai.djl.quant.zoo;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.quant.data.FashionMnistDataset;
import ai.djl.quant.export.PackedModel;
import ai.djl.quant.nn.QuantizedNetwork;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.training.ParameterStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.testng.Assert;
import org.testng.annotations.BeforeClass;
import org.testng.annotations.Test;

/**
 * The zoo's loading path on artifacts made here from randomly initialised MobileNetV2s (the real
 * artifacts are checked on the full test set by the integration tests): every quantizer family
 * loads through a Criteria and predicts what the packed model computes; bad filters and corrupt
 * files fail clearly.
 */
public class ClassifierModelLoaderTest {

    private static final int IMAGES = 3;
    private Path root;
    private float[][] pixels;
    private final Map<String, float[][]> expected = new java.util.HashMap<>();

    @BeforeClass
    public void buildArtifacts() throws Exception {
        root = Files.createTempDirectory("zoo");
        Random random = new Random(5);
        pixels = new float[IMAGES][784];
        for (float[] image : pixels) {
            for (int i = 0; i < image.length; i++) {
                image[i] = random.nextInt(256) / 255f;
            }
        }
        for (String q : ZooVariant.CLASSIFIER_QUANTIZERS) {
            int bits = "fp32".equals(q) ? 32 : 4;
            ZooVariant variant = new ZooVariant("mobilenetv2", q, bits, bits, ZooVariant.FASHION_MNIST);
            Path dir = root.resolve("mobilenetv2").resolve(variant.name());
            Files.createDirectories(dir);
            Path file = dir.resolve(ZooArtifacts.MODEL_FILE);
            try (Model model = Model.newInstance("m")) {
                Block block = variant.newBlock();
                model.setBlock(block);
                block.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(IMAGES, 1, 28, 28));
                ParameterStore store = new ParameterStore(model.getNDManager(), false);
                block.forward(store, new NDList(input(model)), true); // calibrates the quantizers
                PackedModel.write(block, file, variant.isFloat());
            }
            // what the packed model computes, read back the plain way
            try (Model model = Model.newInstance("m")) {
                Block block = variant.newBlock();
                model.setBlock(block);
                block.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(IMAGES, 1, 28, 28));
                PackedModel.read(block, file);
                NDArray all = input(model);
                float[][] probabilities = new float[IMAGES][];
                for (int i = 0; i < IMAGES; i++) {
                    // one image at a time, as the predictor runs them: a batched convolution may round
                    // an activation to the other side of a quantization step
                    NDArray one = all.get(i).expandDims(0);
                    NDArray logits = block.forward(new ParameterStore(model.getNDManager(), false), new NDList(one), false).head();
                    probabilities[i] = logits.get(0).softmax(0).toFloatArray();
                }
                expected.put(q, probabilities);
            }
            byte[] bytes = Files.readAllBytes(file);
            ModelCard card = new ModelCard("mobilenetv2", variant.name(), q, bits, bits, ZooVariant.FASHION_MNIST, "test", 0.0, 0, 0,
                    ZooArtifacts.MODEL_FILE, bytes.length, bytes.length, ZooArtifacts.sha256(bytes), 0, 0, 0, -1, 0, 0, 0, "test",
                    null, null, null);
            Files.writeString(dir.resolve(ZooArtifacts.CARD_FILE), card.toJson());
        }
    }

    private NDArray input(Model model) {
        float[] flat = new float[IMAGES * 784];
        for (int i = 0; i < IMAGES; i++) {
            for (int j = 0; j < 784; j++) {
                flat[i * 784 + j] = (pixels[i][j] - FashionMnistDataset.MEAN) / FashionMnistDataset.STD;
            }
        }
        return model.getNDManager().create(flat, new Shape(IMAGES, 1, 28, 28));
    }

    private Criteria<Image, Classifications> criteria(Map<String, String> filters, Path artifacts) {
        return Criteria.builder()
                .setTypes(Image.class, Classifications.class)
                .optGroupId("ai.djl.quant")
                .optArtifactId("mobilenetv2")
                .optFilters(filters)
                .optArgument(ClassifierModelLoader.ARTIFACT_DIRECTORY, artifacts.toString())
                .build();
    }

    @Test
    public void everyVariantLoadsThroughCriteriaAndPredictsWhatItsFileComputes() throws Exception {
        for (String q : ZooVariant.CLASSIFIER_QUANTIZERS) {
            try (ZooModel<Image, Classifications> model = criteria(Map.of("quantizer", q), root).loadModel();
                    Predictor<Image, Classifications> predictor = model.newPredictor()) {
                Assert.assertEquals(model.getProperty("quantizer"), q);
                Assert.assertEquals(model.getBlock() instanceof QuantizedNetwork, !"fp32".equals(q), q);
                for (int i = 0; i < IMAGES; i++) {
                    Classifications c = predictor.predict(ZooEvaluation.toImage(pixels[i]));
                    float[] p = expected.get(q)[i];
                    for (int k = 0; k < p.length; k++) {
                        Assert.assertEquals(c.get(FashionMnistDataset.CLASSES[k]).getProbability(), p[k], 1e-5, q + " image " + i);
                    }
                }
            }
        }
    }

    @Test
    public void noFilterGivesTheFloatBase() throws Exception {
        try (ZooModel<Image, Classifications> model = criteria(null, root).loadModel()) {
            Assert.assertEquals(model.getProperty("quantizer"), "fp32");
        }
    }

    @Test
    public void aWrongFilterListsWhatExists() {
        ModelNotFoundException e = Assert.expectThrows(ModelNotFoundException.class,
                () -> criteria(Map.of("quantizer", "shift", "weightBits", "2"), root).loadModel());
        String message = e.getCause().getMessage();
        Assert.assertTrue(message.contains("weightBits=2") && message.contains("available") && message.contains("quantizer=learned"), message);
        IllegalArgumentException unknown = Assert.expectThrows(IllegalArgumentException.class,
                () -> criteria(Map.of("bits", "4"), root).loadModel());
        Assert.assertTrue(unknown.getMessage().contains("'bits'") && unknown.getMessage().contains("weightBits"), unknown.getMessage());
    }

    @Test
    public void theDetectorLoadsAsImageToDetectedObjects() throws Exception {
        ZooVariant variant = new ZooVariant("centernet", "fp32", 32, 32, ZooVariant.FASHION_MNIST_SCENES);
        Path dir = root.resolve("centernet").resolve("fp32");
        Files.createDirectories(dir);
        try (Model model = Model.newInstance("m")) {
            Block block = variant.newBlock();
            block.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 1, 96, 96));
            PackedModel.write(block, dir.resolve(ZooArtifacts.MODEL_FILE), true);
        }
        byte[] bytes = Files.readAllBytes(dir.resolve(ZooArtifacts.MODEL_FILE));
        Files.writeString(dir.resolve(ZooArtifacts.CARD_FILE), new ModelCard("centernet", "fp32", "fp32", 32, 32,
                ZooVariant.FASHION_MNIST_SCENES, "test", null, -1, 0, ZooArtifacts.MODEL_FILE, bytes.length, bytes.length,
                ZooArtifacts.sha256(bytes), 0, 0, 0, -1, 0, 0, 0, "test", 0.5, 0.7, null).toJson());
        Criteria<Image, ai.djl.modality.cv.output.DetectedObjects> criteria = Criteria.builder()
                .setTypes(Image.class, ai.djl.modality.cv.output.DetectedObjects.class)
                .optGroupId("ai.djl.quant")
                .optArtifactId("centernet")
                .optArgument(ClassifierModelLoader.ARTIFACT_DIRECTORY, root.toString())
                .build();
        try (ZooModel<Image, ai.djl.modality.cv.output.DetectedObjects> model = criteria.loadModel();
                Predictor<Image, ai.djl.modality.cv.output.DetectedObjects> predictor = model.newPredictor()) {
            Assert.assertEquals(model.getProperty("map50"), "0.7");
            Assert.assertNotNull(predictor.predict(ZooEvaluation.toImage(new float[96 * 96], 96)));
        }
        // a classifier's types do not load the detector
        Assert.expectThrows(ModelNotFoundException.class, () -> Criteria.builder().setTypes(Image.class, Classifications.class)
                .optGroupId("ai.djl.quant").optArtifactId("centernet")
                .optArgument(ClassifierModelLoader.ARTIFACT_DIRECTORY, root.toString()).build().loadModel());
    }

    @Test
    public void aCorruptArtifactFailsItsChecksumWithTheFileNamed() throws IOException {
        Path copy = Files.createTempDirectory("corrupt-zoo");
        Path dir = copy.resolve("mobilenetv2").resolve("uniform-w4a4");
        Files.createDirectories(dir);
        Path source = root.resolve("mobilenetv2").resolve("uniform-w4a4");
        Files.copy(source.resolve(ZooArtifacts.CARD_FILE), dir.resolve(ZooArtifacts.CARD_FILE));
        byte[] bytes = Files.readAllBytes(source.resolve(ZooArtifacts.MODEL_FILE));
        bytes[bytes.length / 3] ^= 1;
        Files.write(dir.resolve(ZooArtifacts.MODEL_FILE), bytes);
        IOException e = Assert.expectThrows(IOException.class, () -> criteria(Map.of("quantizer", "uniform"), copy).loadModel());
        Assert.assertTrue(e.getMessage().contains(dir.resolve(ZooArtifacts.MODEL_FILE).toString()) && e.getMessage().contains("checksum"),
                e.getMessage());
    }
}
