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

    static final float SIZE_WEIGHT = 0.1f;

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

        NDArray p = Activation.sigmoid(out.get(new NDIndex(":, :{}", classes))).clip(1e-4f, 1 - 1e-4f);
        NDArray positive = heat.eq(1f).toType(p.getDataType(), false);
        NDArray negative = positive.neg().add(1f);
        NDArray posLoss = p.log().mul(p.neg().add(1f).square()).mul(positive);
        NDArray negLoss = p.neg().add(1f).log().mul(p.square()).mul(GraphConstants.pow(heat.neg().add(1f), 4)).mul(negative);
        NDArray focal = GraphConstants.div(posLoss.sum().add(negLoss.sum()).neg(), objects);

        NDArray predicted = out.get(new NDIndex(":, {}:", classes));
        NDArray l1 = predicted.sub(regression).abs().mul(mask);
        NDArray size = GraphConstants.div(l1.get(new NDIndex(":, :2")).sum(), objects);
        NDArray offset = GraphConstants.div(l1.get(new NDIndex(":, 2:")).sum(), objects);
        return focal.add(GraphConstants.mul(size, SIZE_WEIGHT)).add(offset);
    }
}
