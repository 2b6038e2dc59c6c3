package ai.djl.quant.benchmarks;

import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.quant.Quantization;
import ai.djl.quant.QuantizationConfig;
import ai.djl.quant.data.FashionMnistDataset;
import ai.djl.quant.export.IntegerEngine;
import ai.djl.quant.export.ModelSize;
import ai.djl.quant.export.onnx.OnnxExporter;
import ai.djl.quant.nn.QuantizedNetwork;
import ai.djl.quant.quantizers.LsqQuantizer;
import ai.djl.quant.quantizers.QuantizerSpec;
import ai.djl.quant.zoo.ModelCard;
import ai.djl.quant.zoo.ZooArtifacts;
import ai.djl.quant.zoo.ZooVariant;
import ai.djl.training.ParameterStore;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Deployment latency and parity, measured in one run on this machine. For each architecture: the
 * zoo's fp32 base, and a W8A8 model made from it (LSQ, per-channel weights, first convolution and
 * classifier float, calibrated on one training batch), served by DJL PyTorch (fp32 and fake-quant),
 * ONNX Runtime (fp32 and int8 QDQ, exported by {@link OnnxExporter}) and the pure-Java {@link
 * IntegerEngine}; plus every quantized zoo variant ONNX and the engine can express. Prints latency
 * per batch (median of timed runs after warm-up) as ratios to DJL fp32, model bytes, and top-1
 * agreement with the fake-quantized model on the first {@code parityImages} test images with the
 * largest logit difference. The W8A8 model is exported in the three {@link OnnxExporter.Form forms}:
 * int32 biases (ONNX Runtime fuses the layers whose output is quantized again into QLinearConv),
 * float biases (exact, dequantized float convolutions), and fast (integer where fused, float weights
 * elsewhere).
 *
 * <p>Arguments: {@code [architectures=resnet18,mobilenetv2] [threads=2] [parityImages=10000]
 * [engineParityImages=2000] [zooEngineParityImages=engineParityImages] [parts=all|zoo|parity]}:
 * the integer engine is the slowest runner, so its parity on the zoo's variants can be checked on
 * fewer images than on the W8A8 model; {@code zoo} checks only the zoo variants' parity, {@code
 * parity} everything but latency, e.g. while another job holds the cores.
 */
public final class DeploymentBenchmark {

    private static final Shape EXAMPLE = new Shape(1, 28, 28);
    private static final int[] BATCHES = {1, 32};
    /** The integer engine's convolutions run on the common fork-join pool plus the calling thread. */
    private static final int ENGINE_THREADS = java.util.concurrent.ForkJoinPool.getCommonPoolParallelism() + 1;

    private DeploymentBenchmark() {}

    public static void main(String[] args) throws Exception {
        List<String> archs = List.of((args.length > 0 ? args[0] : "resnet18,mobilenetv2").split(","));
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int parityImages = args.length > 2 ? Integer.parseInt(args[2]) : 10000;
        int engineParityImages = args.length > 3 ? Integer.parseInt(args[3]) : 2000;
        int zooEngineParityImages = args.length > 4 ? Integer.parseInt(args[4]) : engineParityImages;
        String parts = args.length > 5 ? args[5] : "all";
        boolean zooOnly = "zoo".equals(parts);
        boolean latency = !"parity".equals(parts);
        FashionMnistDataset test = FashionMnistDataset.testSet(100);
        FashionMnistDataset train = FashionMnistDataset.trainingSet(128);
        for (String arch : archs) {
            if (!zooOnly) {
                run(arch, threads, test, train, parityImages, engineParityImages, latency);
            }
            try (Model model = Model.newInstance(arch)) {
                System.out.printf(Locale.ROOT, "%n== %s zoo variants: parity vs their fake-quantized model ==%n", arch);
                System.out.println("| runner | images | same top-1 | max |logit difference| |");
                System.out.println("|---|---|---|---|");
                for (ZooVariant v : ZooVariant.catalogue()) {
                    if (v.artifactId().equals(arch) && !v.isFloat()) {
                        zooParity(v, model.getNDManager(), test, parityImages, zooEngineParityImages, threads);
                    }
                }
            }
        }
    }

    private static void run(String arch, int threads, FashionMnistDataset test, FashionMnistDataset train, int parityImages,
            int engineParityImages, boolean latency) throws Exception {
        ZooVariant fp32 = new ZooVariant(arch, "fp32", 32, 32, ZooVariant.FASHION_MNIST);
        try (Model model = Model.newInstance(arch)) {
            NDManager manager = model.getNDManager();
            Block base = fp32.newFloatBlock();
            base.initialize(manager, DataType.FLOAT32, new Shape(1).addAll(EXAMPLE));
            boolean trained = load(fp32, base);
            System.out.printf(Locale.ROOT, "%n== %s (%s), %d threads ==%n", arch,
                    trained ? "zoo fp32 base" : "no zoo base built: untrained weights, latency only", threads);

            NDList calibration = calibrationBatch(manager, train);
            QuantizedNetwork quantized = w8a8(fp32, manager, calibration, null);
            // the same with residual sums quantized too: every tensor of a residual unit is integer
            QuantizedNetwork withSums = w8a8(fp32, manager, calibration, LsqQuantizer.spec(8));

            List<Runner> runners = new ArrayList<>();
            runners.add(new DjlRunner("DJL PyTorch fp32", base, manager, ModelSize.bytes(base)));
            runners.add(new DjlRunner("DJL PyTorch fake-quant W8A8", quantized, manager, ModelSize.bytes(quantized)));
            runners.add(new OrtRunner("ONNX Runtime fp32", OnnxExporter.toBytes(base, EXAMPLE, OnnxExporter.Form.EXACT), threads));
            OrtRunner int8 = new OrtRunner("ONNX Runtime int8 QDQ W8A8 (int32 bias where its rounding <= 1/"
                    + Math.round(1 / OnnxExporter.PARITY_BIAS_ROUNDING) + " step)",
                    OnnxExporter.toBytes(quantized, EXAMPLE, OnnxExporter.Form.INTEGER, OnnxExporter.PARITY_BIAS_ROUNDING), threads);
            runners.add(int8);
            OrtRunner allFused = new OrtRunner("ONNX Runtime int8 QDQ W8A8 (int32 bias on every fusable layer: default)",
                    OnnxExporter.toBytes(quantized, EXAMPLE, OnnxExporter.Form.INTEGER, OnnxExporter.ANY_BIAS_ROUNDING), threads);
            runners.add(allFused);
            OrtRunner floatBias = new OrtRunner("ONNX Runtime int8 QDQ W8A8 (float bias)", OnnxExporter.toBytes(quantized, EXAMPLE, OnnxExporter.Form.EXACT), threads);
            runners.add(floatBias);
            OrtRunner fast = new OrtRunner("ONNX Runtime int8 QDQ W8A8 (fast: float weights where not fused)",
                    OnnxExporter.toBytes(quantized, EXAMPLE, OnnxExporter.Form.FAST), threads);
            runners.add(fast);
            DjlRunner sumsReference = new DjlRunner("DJL PyTorch fake-quant W8A8 + 8-bit sums", withSums, manager, ModelSize.bytes(withSums));
            runners.add(sumsReference);
            // the same models computing what the default export deploys: int32 biases rounded as in ONNX Runtime
            QuantizedNetwork rounded = w8a8(fp32, manager, calibration, null);
            int roundedLayers = OnnxExporter.roundBiasesAsExported(rounded, EXAMPLE, OnnxExporter.ANY_BIAS_ROUNDING);
            DjlRunner roundedReference = new DjlRunner("DJL PyTorch fake-quant W8A8, int32 biases as exported (" + roundedLayers
                    + " layers)", rounded, manager, ModelSize.bytes(rounded));
            QuantizedNetwork roundedWithSums = w8a8(fp32, manager, calibration, LsqQuantizer.spec(8));
            int roundedSumLayers = OnnxExporter.roundBiasesAsExported(roundedWithSums, EXAMPLE, OnnxExporter.ANY_BIAS_ROUNDING);
            DjlRunner roundedSumsReference = new DjlRunner("DJL PyTorch fake-quant W8A8 + 8-bit sums, int32 biases as exported ("
                    + roundedSumLayers + " layers)", roundedWithSums, manager, ModelSize.bytes(roundedWithSums));
            OrtRunner sumsInt8 = new OrtRunner("ONNX Runtime int8 QDQ W8A8 + 8-bit sums (int32 bias where its rounding <= 1/"
                    + Math.round(1 / OnnxExporter.PARITY_BIAS_ROUNDING) + " step)",
                    OnnxExporter.toBytes(withSums, EXAMPLE, OnnxExporter.Form.INTEGER, OnnxExporter.PARITY_BIAS_ROUNDING), threads);
            runners.add(sumsInt8);
            OrtRunner sumsAllFused = new OrtRunner("ONNX Runtime int8 QDQ W8A8 + 8-bit sums (int32 bias on every fusable layer: default)",
                    OnnxExporter.toBytes(withSums, EXAMPLE, OnnxExporter.Form.INTEGER, OnnxExporter.ANY_BIAS_ROUNDING), threads);
            runners.add(sumsAllFused);
            OrtRunner sumsFast = new OrtRunner("ONNX Runtime int8 QDQ W8A8 + 8-bit sums (fast)",
                    OnnxExporter.toBytes(withSums, EXAMPLE, OnnxExporter.Form.FAST), threads);
            runners.add(sumsFast);
            EngineRunner engine = new EngineRunner("integer engine W8A8 (" + ENGINE_THREADS + " threads)", IntegerEngine.compile(quantized, EXAMPLE),
                    ModelSize.bytes(quantized));
            runners.add(engine);

            float[][] inputs = new float[BATCHES.length][];
            for (int b = 0; b < BATCHES.length; b++) {
                inputs[b] = images(test, 0, BATCHES[b]);
            }
            if (latency) {
                double[][] ms = new double[runners.size()][BATCHES.length];
                for (int r = 0; r < runners.size(); r++) {
                    for (int b = 0; b < BATCHES.length; b++) {
                        ms[r][b] = time(runners.get(r), inputs[b], BATCHES[b]);
                    }
                }
                System.out.println("| runtime | batch 1 ms | × DJL fp32 | batch 32 ms | × DJL fp32 | model bytes |");
                System.out.println("|---|---|---|---|---|---|");
                for (int r = 0; r < runners.size(); r++) {
                    System.out.printf(Locale.ROOT, "| %s | %.2f | %.2f | %.1f | %.2f | %d |%n", runners.get(r).name(), ms[r][0],
                            ms[r][0] / ms[0][0], ms[r][1], ms[r][1] / ms[0][1], runners.get(r).bytes());
                }
            }

            System.out.println("| parity vs the fake-quantized model | images | same top-1 | max |logit difference| |");
            System.out.println("|---|---|---|---|");
            Runner reference = runners.get(1);
            parity(reference, int8, test, parityImages);
            parity(reference, allFused, test, parityImages);
            parity(reference, floatBias, test, parityImages);
            parity(reference, fast, test, parityImages);
            parity(reference, engine, test, Math.min(engineParityImages, parityImages));
            parity(sumsReference, sumsInt8, test, parityImages);
            parity(sumsReference, sumsAllFused, test, parityImages);
            parity(sumsReference, sumsFast, test, parityImages);
            String asExported = ", vs the model with int32 biases as exported";
            parity(roundedReference, allFused, allFused.name() + asExported, test, parityImages);
            parity(roundedReference, fast, fast.name() + asExported, test, parityImages);
            parity(roundedSumsReference, sumsAllFused, sumsAllFused.name() + asExported, test, parityImages);
            parity(roundedSumsReference, sumsFast, sumsFast.name() + asExported, test, parityImages);
            System.out.println("| model | images | top-1 % |");
            System.out.println("|---|---|---|");
            for (Runner r : List.of(runners.get(0), reference, sumsReference, roundedReference, roundedSumsReference)) {
                accuracy(r, test, parityImages);
            }
            for (Runner r : runners) {
                r.close();
            }
        }
    }

    /** A W8A8 model made from the fp32 base (first and last layer float), calibrated on one batch. */
    private static QuantizedNetwork w8a8(ZooVariant fp32, NDManager manager, NDList calibration, QuantizerSpec sums) throws Exception {
        Block block = fp32.newFloatBlock();
        block.initialize(manager, DataType.FLOAT32, new Shape(1).addAll(EXAMPLE));
        load(fp32, block);
        QuantizedNetwork quantized = Quantization.wrap(block, QuantizationConfig.builder()
                .setWeights(LsqQuantizer.spec(8)).optActivations(LsqQuantizer.spec(8)).optSums(sums)
                .optKeepFirstFloat(true).optKeepLastFloat(true).build());
        quantized.forward(new ParameterStore(manager, false), calibration, false);
        quantized.setDeployMode(true);
        return quantized;
    }

    private static void accuracy(Runner model, FashionMnistDataset test, int images) throws Exception {
        int correct = 0;
        for (int from = 0; from < images; from += 100) {
            int n = Math.min(100, images - from);
            float[] logits = model.run(images(test, from, n), n);
            int classes = logits.length / n;
            for (int i = 0; i < n; i++) {
                if (argMax(logits, i * classes, classes) == test.getLabel(from + i)) {
                    correct++;
                }
            }
        }
        System.out.printf(Locale.ROOT, "| %s | %d | %.2f |%n", model.name(), images, 100.0 * correct / images);
    }

    private static void zooParity(ZooVariant v, NDManager manager, FashionMnistDataset test, int images, int engineImages, int threads)
            throws Exception {
        Block block = v.newBlock();
        block.initialize(manager, DataType.FLOAT32, new Shape(1).addAll(EXAMPLE));
        if (!load(v, block)) {
            return;
        }
        String name = v.artifactId() + "/" + v.name();
        Runner djl = new DjlRunner("DJL fake-quant " + name, block, manager, ModelSize.bytes(block));
        try {
            parity(djl, new OrtRunner("ONNX Runtime " + name, OnnxExporter.toBytes(block, EXAMPLE, OnnxExporter.Form.INTEGER), threads), test, images);
        } catch (UnsupportedOperationException e) {
            System.out.println("| ONNX Runtime " + name + " | refused: " + e.getMessage() + " | | |");
        }
        try {
            parity(djl, new EngineRunner("integer engine " + name, IntegerEngine.compile(block, EXAMPLE), 0), test, engineImages);
        } catch (UnsupportedOperationException e) {
            System.out.println("| integer engine " + name + " | refused: " + e.getMessage() + " | | |");
        }
    }

    /** Fills a block from its zoo artifact, if built. */
    private static boolean load(ZooVariant v, Block block) throws Exception {
        ZooArtifacts jar = ZooArtifacts.classpath();
        Optional<ModelCard> card = jar.card(v);
        if (card.isEmpty()) {
            return false;
        }
        jar.load(v, card.get(), block);
        return true;
    }

    /** One (random, augmented) training batch: every W8A8 model of a run is calibrated on the same one. */
    private static NDList calibrationBatch(NDManager manager, FashionMnistDataset train) throws Exception {
        var batch = train.getData(manager).iterator().next();
        return batch.getData();
    }

    private static float[] images(FashionMnistDataset data, int from, int count) {
        float[] x = new float[count * 784];
        for (int i = 0; i < count; i++) {
            float[] p = data.getPixels(from + i);
            for (int j = 0; j < 784; j++) {
                x[i * 784 + j] = (p[j] - FashionMnistDataset.MEAN) / FashionMnistDataset.STD;
            }
        }
        return x;
    }

    /** Median milliseconds per call after two warm-up calls, over at least 3 calls and 2 seconds. */
    private static double time(Runner runner, float[] input, int batch) throws Exception {
        runner.run(input, batch);
        runner.run(input, batch);
        List<Double> times = new ArrayList<>();
        long start = System.nanoTime();
        while (times.size() < 3 || (System.nanoTime() - start < 2e9 && times.size() < 200)) {
            long t = System.nanoTime();
            runner.run(input, batch);
            times.add((System.nanoTime() - t) / 1e6);
        }
        double[] sorted = times.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return sorted[sorted.length / 2];
    }

    private static void parity(Runner reference, Runner candidate, FashionMnistDataset test, int images) throws Exception {
        parity(reference, candidate, candidate.name(), test, images);
    }

    private static void parity(Runner reference, Runner candidate, String label, FashionMnistDataset test, int images) throws Exception {
        int same = 0;
        double maxDiff = 0;
        int chunk = 100;
        for (int from = 0; from < images; from += chunk) {
            int n = Math.min(chunk, images - from);
            float[] x = images(test, from, n);
            float[] a = reference.run(x, n);
            float[] b = candidate.run(x, n);
            int classes = a.length / n;
            for (int i = 0; i < n; i++) {
                if (argMax(a, i * classes, classes) == argMax(b, i * classes, classes)) {
                    same++;
                }
            }
            for (int i = 0; i < a.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
            }
        }
        System.out.printf(Locale.ROOT, "| %s | %d | %.2f %% | %.4f |%n", label, images, 100.0 * same / images, maxDiff);
    }

    private static int argMax(float[] v, int from, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (v[from + i] > v[from + best]) {
                best = i;
            }
        }
        return best;
    }

    /** A way to run a model on float inputs. */
    private interface Runner extends AutoCloseable {
        float[] run(float[] input, int batch) throws Exception;

        String name();

        long bytes();

        @Override
        default void close() throws Exception {}
    }

    private record DjlRunner(String name, Block block, NDManager manager, long bytes) implements Runner {
        @Override
        public float[] run(float[] input, int batch) {
            try (NDManager scope = manager.newSubManager()) {
                var x = scope.create(input, new Shape(batch).addAll(EXAMPLE));
                return block.forward(new ParameterStore(scope, false), new NDList(x), false).head().toFloatArray();
            }
        }
    }

    private static final class OrtRunner implements Runner {
        private final String name;
        private final OrtSession session;
        private final long bytes;

        OrtRunner(String name, byte[] onnx, int threads) throws Exception {
            this.name = name;
            this.bytes = onnx.length;
            OrtSession.SessionOptions options = new OrtSession.SessionOptions();
            options.setIntraOpNumThreads(threads);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            session = OrtEnvironment.getEnvironment().createSession(onnx, options);
        }

        @Override
        public float[] run(float[] input, int batch) throws Exception {
            long[] shape = {batch, 1, 28, 28};
            try (OnnxTensor t = OnnxTensor.createTensor(OrtEnvironment.getEnvironment(), FloatBuffer.wrap(input), shape);
                    OrtSession.Result r = session.run(Map.of("input", t))) {
                float[][] out = (float[][]) r.get(0).getValue();
                float[] flat = new float[out.length * out[0].length];
                for (int i = 0; i < out.length; i++) {
                    System.arraycopy(out[i], 0, flat, i * out[0].length, out[0].length);
                }
                return flat;
            }
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public long bytes() {
            return bytes;
        }

        @Override
        public void close() throws Exception {
            session.close();
        }
    }

    private record EngineRunner(String name, IntegerEngine engine, long bytes) implements Runner {
        @Override
        public float[] run(float[] input, int batch) {
            return engine.forward(input, batch);
        }
    }
}
