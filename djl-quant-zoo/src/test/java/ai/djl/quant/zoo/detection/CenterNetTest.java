package ai.djl.quant.zoo.detection;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.quant.Quantization;
import ai.djl.quant.nn.QuantizedNetwork;
import ai.djl.quant.training.CocoEvaluator;
import ai.djl.quant.training.NHotRecipe;
import ai.djl.quant.zoo.cv.CenterNet;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.util.List;
import org.testng.Assert;
import org.testng.annotations.Test;

public class CenterNetTest {

    /** Two images: one with two objects, one with one (rows of -1 pad to 4). */
    private static final float[] LABELS = {
        3, 0.10f, 0.20f, 0.30f, 0.25f, /**/ 7, 0.55f, 0.50f, 0.40f, 0.35f, /**/ -1, -1, -1, -1, -1, /**/ -1, -1, -1, -1, -1,
        0, 0.30f, 0.30f, 0.50f, 0.60f, /**/ -1, -1, -1, -1, -1, /**/ -1, -1, -1, -1, -1, /**/ -1, -1, -1, -1, -1,
    };

    @Test
    public void outputsHeatmapSizeAndOffsetAtStrideFour() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block net = CenterNet.builder().optWidthMultiplier(0.35f).optNeck(32, 32, 32).build();
            net.initialize(manager, DataType.FLOAT32, new Shape(2, 1, 96, 96));
            CenterNet.initializeHeatmapPrior(net);
            NDArray out = net.forward(new ParameterStore(manager, false), new NDList(manager.randomNormal(new Shape(2, 1, 96, 96))), false)
                    .head();
            Assert.assertEquals(out.getShape(), new Shape(2, 14, 24, 24));
            // the prior goes on the output layer only; the hidden layer (before a ReLU) keeps zero biases
            for (var pair : net.getParameters()) {
                if (pair.getKey().contains("heatmap") && pair.getKey().endsWith("bias")) {
                    float expected = pair.getKey().contains("03Conv2d") ? CenterNet.HEATMAP_PRIOR : 0f;
                    for (float b : pair.getValue().getArray().toFloatArray()) {
                        Assert.assertEquals(b, expected, 0f, pair.getKey());
                    }
                }
            }
            QuantizedNetwork q = Quantization.wrap(net, NHotRecipe.config(8, 2, CenterNet.headOutputsFloat()));
            Assert.assertTrue(q.getQuantizedLayers().size() > 10);
            Assert.assertTrue(q.getQuantizedLayers().stream().anyMatch(l -> l.getPath().contains("heatmap/01Conv2d")));
            Assert.assertTrue(q.getQuantizedLayers().stream().noneMatch(l -> l.getPath().endsWith("03Conv2d") && l.getPath().contains("Heads")),
                    "head outputs must stay float");
        }
    }

    @Test
    public void convolutionWeightsAreDrawnWithinOneOverRootFanIn() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block net = CenterNet.builder().optWidthMultiplier(0.35f).optNeck(32, 32, 32).build();
            net.initialize(manager, DataType.FLOAT32, new Shape(1, 1, 96, 96));
            int checked = 0;
            for (var pair : net.getParameters()) {
                NDArray w = pair.getValue().getArray();
                Shape s = w.getShape();
                if (!pair.getKey().endsWith("weight") || s.dimension() != 4 || s.size() < 64) {
                    continue;
                }
                double bound = 1 / Math.sqrt(s.size() / s.get(0));
                float largest = w.abs().max().getFloat();
                // uniform in ±bound: at least 64 draws all below 0.8·bound has probability 0.8^64 < 1e-6
                Assert.assertTrue(largest <= bound * 1.0001 && largest >= 0.8 * bound,
                        pair.getKey() + " " + s + ": largest |w| " + largest + ", expected about " + bound);
                checked++;
            }
            Assert.assertTrue(checked > 20, "only " + checked + " convolution weights checked");
        }
    }

    /** A perfect output for the labels: high logits at the centres, the true sizes and offsets. */
    private static float[] perfectOutput(CenterNetTargets t, int side) {
        int plane = side * side;
        float[] out = new float[2 * 14 * plane];
        for (int n = 0; n < 2; n++) {
            for (int c = 0; c < 10; c++) {
                for (int i = 0; i < plane; i++) {
                    out[(n * 14 + c) * plane + i] = t.heatmap()[(n * 10 + c) * plane + i] == 1f ? 5f : -8f;
                }
            }
            System.arraycopy(t.regression(), n * 4 * plane, out, (n * 14 + 10) * plane, 4 * plane);
        }
        return out;
    }

    @Test
    public void decodingPerfectTargetsGivesTheBoxesBack() {
        int side = 24;
        CenterNetTargets t = CenterNetTargets.of(LABELS, 2, 4, 10, side);
        Assert.assertEquals(t.objects(), 3);
        float[] out = perfectOutput(t, side);
        CocoEvaluator coco = new CocoEvaluator(10);
        int plane = side * side;
        for (int n = 0; n < 2; n++) {
            float[] one = java.util.Arrays.copyOfRange(out, n * 14 * plane, (n + 1) * 14 * plane);
            List<CenterNetDecoder.Detection> found = CenterNetDecoder.decode(one, 10, side, 100, 0.3f);
            for (CenterNetDecoder.Detection d : found) {
                coco.add(new CocoEvaluator.Detection(n, d.label(), d.score(), new CocoEvaluator.Box(d.x(), d.y(), d.w(), d.h())));
            }
            for (int k = 0; k < 4; k++) {
                int row = (n * 4 + k) * 5;
                if (LABELS[row] >= 0) {
                    coco.add(new CocoEvaluator.GroundTruth(n, (int) LABELS[row],
                            new CocoEvaluator.Box(LABELS[row + 1], LABELS[row + 2], LABELS[row + 3], LABELS[row + 4])));
                }
            }
            Assert.assertEquals(found.size(), n == 0 ? 2 : 1);
        }
        CocoEvaluator.Result r = coco.evaluate();
        Assert.assertEquals(r.map(), 1.0, 1e-9);
    }

    @Test
    public void lossIsLowForThePerfectOutputAndTrainsTheNetwork() {
        try (NDManager manager = NDManager.newBaseManager()) {
            int side = 24;
            CenterNetTargets t = CenterNetTargets.of(LABELS, 2, 4, 10, side);
            CenterNetLoss loss = new CenterNetLoss(10);
            NDList labels = new NDList(manager.create(LABELS, new Shape(2, 4, 5)));
            float perfect = loss.evaluate(labels, new NDList(manager.create(perfectOutput(t, side), new Shape(2, 14, side, side))))
                    .getFloat();
            float random = loss.evaluate(labels, new NDList(manager.randomNormal(new Shape(2, 14, side, side)))).getFloat();
            Assert.assertTrue(Float.isFinite(perfect) && perfect < random / 10, perfect + " vs " + random);

            Block net = CenterNet.builder().optWidthMultiplier(0.35f).optNeck(32, 32, 32).build();
            net.initialize(manager, DataType.FLOAT32, new Shape(2, 1, 96, 96));
            NDArray x = manager.randomNormal(new Shape(2, 1, 96, 96));
            for (var p : net.getParameters().values()) {
                if (p.requiresGradient()) {
                    p.getArray().setRequiresGradient(true);
                }
            }
            float lossValue;
            try (GradientCollector gc = manager.getEngine().newGradientCollector()) {
                NDArray l = loss.evaluate(labels, net.forward(new ParameterStore(manager, false), new NDList(x), true));
                lossValue = l.getFloat();
                gc.backward(l);
            }
            // every trainable parameter, from the stem to the heads, receives a gradient
            for (var p : net.getParameters()) {
                if (p.getValue().requiresGradient()) {
                    float g = p.getValue().getArray().getGradient().abs().sum().getFloat();
                    Assert.assertTrue(g > 0, p.getKey() + " has no gradient: " + g + ", loss " + lossValue);
                }
            }
        }
    }
}
