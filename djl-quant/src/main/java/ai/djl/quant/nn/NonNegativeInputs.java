package ai.djl.quant.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.norm.Dropout;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * Finds the quantizable layers whose input can never be negative, so that their activation
 * quantizer can spend every level on {@code [0, max]}; every other layer gets a signed one.
 *
 * <p>A ReLU network feeds each convolution the output of a ReLU, but not every network does:
 * MobileNetV2's linear bottlenecks hand a BatchNorm output (or a residual sum of two) to the next
 * block's expansion convolution. An unsigned quantizer there clips half the signal to 0 and the
 * model collapses to chance, so signedness follows the data flow instead of one global default.
 *
 * <p>The walk follows forward order through {@link SequentialBlock}s and {@link ParallelBlock}s
 * (a sum or a concatenation is non-negative when all its branches are; a sum with its ReLU in the
 * join always is). A {@link LambdaBlock} is classified on two random probes: output {@code ≥ 0}
 * for any input (ReLU, ReLU6, sigmoid), or {@code ≥ 0} whenever its input is (identity, pooling,
 * flatten). Layers, normalisations and anything unknown may produce negatives; the model input is
 * assumed signed, since it may be normalised.
 */
public final class NonNegativeInputs {

    private final Set<Block> layers = Collections.newSetFromMap(new IdentityHashMap<>());
    private final NDManager manager;
    private final ParameterStore store;

    private NonNegativeInputs(NDManager manager) {
        this.manager = manager;
        this.store = new ParameterStore(manager, false);
    }

    /**
     * Finds the layers whose every input value is {@code ≥ 0}.
     *
     * @param root the model's block, not yet wrapped
     * @return the {@link QuantizedLayer#supports supported} layers (compared by identity) whose
     *     input is non-negative as far as the walk and its probes tell
     */
    public static Set<Block> find(Block root) {
        try (NDManager manager = NDManager.newBaseManager()) {
            NonNegativeInputs walk = new NonNegativeInputs(manager);
            walk.visit(root, false);
            return walk.layers;
        }
    }

    /** Records the layers inside {@code block} and returns whether its output is non-negative. */
    private boolean visit(Block block, boolean inputNonNegative) {
        if (QuantizedLayer.supports(block)) {
            if (inputNonNegative) {
                layers.add(block);
            }
            return false;
        }
        if (block instanceof SequentialBlock) {
            boolean x = inputNonNegative;
            for (Pair<String, Block> child : block.getChildren()) {
                x = visit(child.getValue(), x);
            }
            return x;
        }
        if (block instanceof ParallelBlock parallel) {
            boolean all = true;
            for (Pair<String, Block> child : parallel.getChildren()) {
                all &= visit(child.getValue(), inputNonNegative);
            }
            if (parallel.getChildren().size() < 2) {
                return false;
            }
            return switch (ParallelJoin.of(parallel, manager)) {
                case SUM_RELU -> true;
                case SUM, CONCAT -> all;
                case OTHER -> false;
            };
        }
        if (block instanceof LambdaBlock lambda) {
            return lambdaOutputNonNegative(lambda, inputNonNegative);
        }
        if (block instanceof Dropout) {
            return inputNonNegative;
        }
        // A custom block calls its children in an order only its forward method knows.
        for (Pair<String, Block> child : block.getChildren()) {
            visit(child.getValue(), false);
        }
        return false;
    }

    private boolean lambdaOutputNonNegative(LambdaBlock lambda, boolean inputNonNegative) {
        for (Shape shape : List.of(new Shape(2, 3, 4, 4), new Shape(2, 6))) {
            NDArray signedProbe = manager.randomNormal(0, 4, shape, DataType.FLOAT32);
            try {
                if (isNonNegative(lambda, signedProbe)) {
                    return true;
                }
                return inputNonNegative && isNonNegative(lambda, signedProbe.abs());
            } catch (RuntimeException e) {
                // this shape does not fit the lambda; try the next one
            }
        }
        return false;
    }

    private boolean isNonNegative(LambdaBlock lambda, NDArray probe) {
        NDList out = lambda.forward(store, new NDList(probe), false);
        for (NDArray y : out) {
            if (!y.getDataType().isFloating() || y.min().getFloat() < 0f) {
                return false;
            }
        }
        return !out.isEmpty();
    }
}
