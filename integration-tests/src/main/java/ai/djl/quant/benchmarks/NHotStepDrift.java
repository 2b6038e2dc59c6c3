package ai.djl.quant.benchmarks;

import ai.djl.Model;
import ai.djl.quant.nn.QuantizedNetwork;
import ai.djl.quant.quantizers.Quantizer;
import ai.djl.quant.quantizers.QuantizerRole;
import ai.djl.quant.training.Checkpoints;
import ai.djl.quant.training.NHotRecipe;
import ai.djl.quant.zoo.ZooVariant;
import ai.djl.quant.zoo.build.ZooBuild;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How far the n-hot stage moves the learned steps of a zoo build's n-hot CenterNet: loads the
 * model that ended the uniform stage ({@code <work>/centernet/nhot-w8a8-uniform-stage}) and the
 * latest checkpoint of the n-hot stage ({@code <work>/centernet/nhot-w8a8}) from a {@code ZooBuild}
 * work directory and prints, for the activations' and the weights' quantizers, the ratio of each
 * step (per channel for weights) at the end to the step that ended the uniform stage: smallest,
 * median, largest. Without a re-fit at the switch ({@link NHotRecipe#switchToNHot(QuantizedNetwork,
 * java.util.function.Predicate)}) that is how far training moved them.
 *
 * <p>Arguments: {@code <work directory>}.
 */
public final class NHotStepDrift {

    private NHotStepDrift() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            throw new IllegalArgumentException("NHotStepDrift: give a ZooBuild work directory that built centernet/nhot-w8a8");
        }
        ZooVariant variant = DetectorGap.variant("nhot-w8a8");
        Path work = Path.of(args[0]);
        Path stage1 = ZooBuild.uniformStageDirectory(work, variant);
        Path stage2 = ZooBuild.fineTuneDirectory(work, variant);
        Checkpoints switched = new Checkpoints(stage1, variant.artifactId());
        Checkpoints ended = new Checkpoints(stage2, variant.artifactId());
        int from = switched.latest().orElseThrow(() -> new IllegalArgumentException(
                "NHotStepDrift: no uniform-stage checkpoint under " + stage1));
        int to = ended.latest().orElseThrow(() -> new IllegalArgumentException("NHotStepDrift: no checkpoint under " + stage2));
        if (to <= from) {
            throw new IllegalArgumentException("NHotStepDrift: the n-hot stage under " + stage2 + " has not saved an epoch yet");
        }
        List<Step> before = steps(variant, switched, from, false);
        List<Step> after = steps(variant, ended, to, true);
        System.out.printf("| quantizers (epoch %d → %d) | steps | step at the end / at the end of the uniform stage: min / median / max |%n"
                + "|---|---|---|%n", from, to);
        for (boolean weights : new boolean[] {false, true}) {
            List<Double> ratios = new ArrayList<>();
            for (int i = 0; i < before.size(); i++) {
                if ((before.get(i).role() == QuantizerRole.WEIGHT) == weights) {
                    for (int c = 0; c < before.get(i).values().length; c++) {
                        ratios.add((double) Math.abs(after.get(i).values()[c]) / Math.abs(before.get(i).values()[c]));
                    }
                }
            }
            double[] r = ratios.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            System.out.printf(Locale.ROOT, "| %s | %d | %.3f / %.3f / %.3f |%n", weights ? "weights" : "activations", r.length, r[0],
                    r[r.length / 2], r[r.length - 1]);
        }
    }

    private record Step(QuantizerRole role, float[] values) {}

    /** Every quantizer's step, in the order of {@link QuantizedNetwork#getQuantizers}. */
    private static List<Step> steps(ZooVariant variant, Checkpoints checkpoints, int epoch, boolean nHotStage) throws Exception {
        try (Model model = ZooBuild.loadFineTuned(variant, checkpoints, epoch, nHotStage)) {
            List<Step> steps = new ArrayList<>();
            for (Quantizer q : ((QuantizedNetwork) model.getBlock()).getQuantizers()) {
                steps.add(new Step(q.getRole(), q.getDirectParameters().get("step").getArray().toFloatArray()));
            }
            return steps;
        }
    }
}
