package ai.djl.quant.zoo.detection;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.quant.data.FashionMnistScenes;
import ai.djl.quant.nn.GraphConstants;
import ai.djl.training.loss.Loss;

/**
 * CenterNet's loss: the penalty-reduced focal loss on the heat map plus L1 losses on size and
 * offset at the object centres, each normalised by the number of objects N.
 *
 * <pre>
 * L_k = -(1/N) Σ { (1-p)^α log p              where y = 1
 *                 { (1-y)^β p^α log(1-p)        otherwise          (α = 2, β = 4)
 * L = L_k + 0.1·L_size + L_offset
 * </pre>
 */
public class CenterNetLoss extends Loss {

    private static final float SIZE_WEIGHT = 0.1f;

    private final int classes;

    /**
     * Creates the loss.
     *
     * @param classes the heat-map channels
     */
    public CenterNetLoss(int classes) {
        super("CenterNetLoss");
        this.classes = classes;
    }

    @Override
    public NDArray evaluate(NDList labels, NDList predictions) {
        NDArray out = predictions.singletonOrThrow();
        NDManager manager = out.getManager();
        long batch = out.getShape().get(0);
        int side = (int) out.getShape().get(2);
        CenterNetTargets t = CenterNetTargets.of(labels.singletonOrThrow().toFloatArray(), (int) batch,
                FashionMnistScenes.MAX_OBJECTS, classes, side);
        NDArray heat = GraphConstants.of(manager, t.heatmap(), new Shape(batch, classes, side, side));
        NDArray regression = GraphConstants.of(manager, t.regression(), new Shape(batch, 4, side, side));
        NDArray mask = GraphConstants.of(manager, t.mask(), new Shape(batch, 1, side, side));
        float objects = Math.max(1, t.objects());

        NDArray p = Activation.sigmoid(heatMap(out, classes)).clip(1e-4f, 1 - 1e-4f);
        NDArray positive = heat.eq(1f).toType(p.getDataType(), false);
        NDArray negative = positive.neg().add(1f);
        NDArray posLoss = p.log().mul(p.neg().add(1f).square()).mul(positive);
        NDArray negLoss = p.neg().add(1f).log().mul(p.square()).mul(GraphConstants.pow(heat.neg().add(1f), 4)).mul(negative);
        NDArray focal = GraphConstants.div(posLoss.sum().add(negLoss.sum()).neg(), objects);

        NDArray l1 = regressionMaps(out, classes).sub(regression).abs().mul(mask);
        return focal.add(GraphConstants.div(weightedRegressionSum(l1), objects));
    }

    /**
     * The heat-map logits of a CenterNet output {@code (B, classes + 4, H, W)}: its first
     * {@code classes} channels.
     */
    static NDArray heatMap(NDArray out, int classes) {
        return out.get(new NDIndex(":, :{}", classes));
    }

    /** The regression maps of a CenterNet output, after its heat map: size (w, h), then offset (x, y). */
    static NDArray regressionMaps(NDArray out, int classes) {
        return out.get(new NDIndex(":, {}:", classes));
    }

    /**
     * The weighted sum of per-position regression errors {@code e} laid out as {@link #regressionMaps}:
     * {@code 0.1·Σ e_size + Σ e_offset}.
     */
    static NDArray weightedRegressionSum(NDArray errors) {
        return GraphConstants.mul(errors.get(new NDIndex(":, :2")).sum(), SIZE_WEIGHT).add(errors.get(new NDIndex(":, 2:")).sum());
    }
}
