package ai.djl.quant.zoo.detection;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Activation;
import ai.djl.quant.nn.GraphConstants;
import ai.djl.training.loss.Loss;

/**
 * How far a CenterNet's outputs {@code s} are from a teacher's {@code t} (its labels), for
 * distillation: the squared difference of the heat maps' probabilities summed over classes and
 * positions per image, plus the L1 difference of the size and offset maps where the teacher sees
 * an object, weighted by its confidence {@code c = max_k σ(t_k)}, with {@link CenterNetLoss}'s
 * weights:
 *
 * <pre>
 * L = (1/B) Σ (σ(s_k) - σ(t_k))²  +  Σ c·(0.1·|s_size - t_size| + |s_off - t_off|) / Σ c
 * </pre>
 *
 * <p>The heat-map term is per image where the task's focal loss is per object (1–4 per scene):
 * the same order of magnitude.
 */
public class CenterNetImitationLoss extends Loss {

    private final int classes;

    /**
     * Creates the loss.
     *
     * @param classes the heat-map channels
     */
    public CenterNetImitationLoss(int classes) {
        super("CenterNetImitation");
        this.classes = classes;
    }

    @Override
    public NDArray evaluate(NDList teacher, NDList predictions) {
        NDArray s = predictions.singletonOrThrow();
        NDArray t = teacher.singletonOrThrow();
        if (!s.getShape().equals(t.getShape())) {
            throw new IllegalArgumentException("CenterNetImitationLoss: the teacher's output " + t.getShape()
                    + " does not match the student's " + s.getShape());
        }
        long batch = s.getShape().get(0);
        NDArray teacherHeat = Activation.sigmoid(CenterNetLoss.heatMap(t, classes));
        NDArray heat = GraphConstants.div(Activation.sigmoid(CenterNetLoss.heatMap(s, classes)).sub(teacherHeat).square().sum(), batch);

        NDArray confidence = teacherHeat.max(new int[] {1}, true);
        NDArray l1 = CenterNetLoss.regressionMaps(s, classes).sub(CenterNetLoss.regressionMaps(t, classes)).abs().mul(confidence);
        NDArray regression = CenterNetLoss.weightedRegressionSum(l1);
        return heat.add(regression.div(confidence.sum().add(GraphConstants.scalar(confidence, 1e-6))));
    }
}
