package ai.djl.quant.examples;

import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.quant.data.FashionMnistDataset;
import ai.djl.quant.export.onnx.OnnxExporter;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.training.ParameterStore;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Exports a quantized zoo classifier to ONNX (int8 QDQ: integer weight codes, QuantizeLinear /
 * DequantizeLinear around the quantized layers' inputs) and runs it in ONNX Runtime next to DJL:
 * prints the file size and how many of the first test images both classify the same way.
 *
 * <p>Arguments: {@code [quantizer=uniform] [architecture=resnet18] [images=500] [output.onnx]}.
 */
public final class OnnxExport {

    private OnnxExport() {}

    public static void main(String[] args) throws Exception {
        String quantizer = args.length > 0 ? args[0] : "uniform";
        String architecture = args.length > 1 ? args[1] : "resnet18";
        int images = args.length > 2 ? Integer.parseInt(args[2]) : 500;
        Path file = args.length > 3 ? Path.of(args[3]) : Files.createTempFile(architecture + "-" + quantizer, ".onnx");
        Criteria<Image, Classifications> criteria = Criteria.builder()
                .setTypes(Image.class, Classifications.class)
                .optGroupId("ai.djl.quant")
                .optArtifactId(architecture)
                .optFilter("quantizer", quantizer)
                .build();
        FashionMnistDataset test = FashionMnistDataset.testSet(images);
        float[] x = new float[images * 784];
        for (int i = 0; i < images; i++) {
            float[] p = test.getPixels(i);
            for (int j = 0; j < 784; j++) {
                x[i * 784 + j] = (p[j] - FashionMnistDataset.MEAN) / FashionMnistDataset.STD;
            }
        }
        try (ZooModel<Image, Classifications> model = criteria.loadModel();
                NDManager manager = model.getNDManager().newSubManager()) {
            long bytes = OnnxExporter.export(model.getBlock(), new Shape(1, 28, 28), file);
            System.out.printf("%s/%s exported to %s: %d bytes%n", architecture, quantizer, file, bytes);
            float[] djl = model.getBlock()
                    .forward(new ParameterStore(manager, false), new NDList(manager.create(x, new Shape(images, 1, 28, 28))), false)
                    .head().toFloatArray();
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            try (OrtSession session = env.createSession(file.toString(), new OrtSession.SessionOptions());
                    OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {images, 1, 28, 28});
                    OrtSession.Result result = session.run(Map.of("input", input))) {
                float[][] ort = (float[][]) result.get(0).getValue();
                int same = 0;
                int correct = 0;
                for (int i = 0; i < images; i++) {
                    int a = argMax(djl, i * 10);
                    int b = argMax(ort[i], 0);
                    same += a == b ? 1 : 0;
                    correct += b == test.getLabel(i) ? 1 : 0;
                }
                System.out.printf("ONNX Runtime agrees with DJL on %d of %d test images; ONNX Runtime accuracy %.2f %%%n",
                        same, images, 100.0 * correct / images);
            }
        }
    }

    private static int argMax(float[] v, int from) {
        int best = 0;
        for (int i = 1; i < 10; i++) {
            if (v[from + i] > v[from + best]) {
                best = i;
            }
        }
        return best;
    }
}
