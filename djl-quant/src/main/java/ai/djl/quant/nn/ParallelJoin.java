package ai.djl.quant.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.ParallelBlock;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * What a {@link ParallelBlock}'s join function does with its branch outputs. DJL keeps the join
 * as an opaque function, so it is recognised by evaluating it on small random tensors.
 */
public enum ParallelJoin {
    /** {@code y = Σ_i y_i}: a residual sum. */
    SUM,
    /** {@code y = max(Σ_i y_i, 0)}: a residual sum with its ReLU in the join (DJL's ResNetV1). */
    SUM_RELU,
    /** {@code y = concat(y_1, …, y_n)} along axis 1 (channels). */
    CONCAT,
    /** Anything else. */
    OTHER;

    /**
     * Returns whether the join adds its branches (with or without a ReLU after the sum).
     *
     * @return true for {@link #SUM} and {@link #SUM_RELU}
     */
    public boolean isSum() {
        return this == SUM || this == SUM_RELU;
    }

    /**
     * Recognises the join of a ParallelBlock.
     *
     * @param parallel the block
     * @param manager where the probe tensors live (closed by the caller)
     * @return the join
     */
    public static ParallelJoin of(ParallelBlock parallel, NDManager manager) {
        Function<List<NDList>, NDList> function = function(parallel);
        int branches = parallel.getChildren().size();
        List<NDList> probe = new ArrayList<>();
        NDList parts = new NDList();
        NDArray sum = null;
        for (int i = 0; i < branches; i++) {
            NDArray a = manager.randomNormal(new Shape(2, 3, 2, 2));
            probe.add(new NDList(a));
            parts.add(a);
            sum = sum == null ? a : sum.add(a);
        }
        NDList result;
        try {
            result = function.apply(probe);
        } catch (RuntimeException e) {
            return OTHER; // a join that needs other shapes or several outputs per branch
        }
        if (result.size() != 1 || sum == null) {
            return OTHER;
        }
        NDArray y = result.head();
        if (y.getShape().equals(sum.getShape()) && y.allClose(sum, 1e-5, 1e-6, false)) {
            return SUM;
        }
        if (y.getShape().equals(sum.getShape()) && y.allClose(GraphConstants.maximum(sum, 0), 1e-5, 1e-6, false)) {
            return SUM_RELU;
        }
        NDArray concat = NDArrays.concat(parts, 1);
        if (y.getShape().equals(concat.getShape()) && y.allClose(concat, 0, 0, false)) {
            return CONCAT;
        }
        return OTHER;
    }

    @SuppressWarnings("unchecked")
    private static Function<List<NDList>, NDList> function(ParallelBlock parallel) {
        try {
            Field f = ParallelBlock.class.getDeclaredField("function");
            f.setAccessible(true);
            return (Function<List<NDList>, NDList>) f.get(parallel);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("this DJL version has no ParallelBlock.function", e);
        }
    }
}
