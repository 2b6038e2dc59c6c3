package ai.djl.quant.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;

/**
 * ReLU6, {@code min(max(x, 0), 6)}, as one clamp whose bounds are passed by value.
 *
 * <p>DJL's {@code Activation.relu6} takes the minimum with a 6 held in Java memory, which autograd
 * keeps for the backward pass and Java frees (see {@link GraphConstants}): the gradient mask of every
 * ReLU6 then depends on whatever reuses that memory. This one is safe in training; its block has
 * DJL's name, {@code ReLU6}, so exports and analyses treat both alike.
 */
public final class Relu6 {

    private Relu6() {}

    /**
     * Applies ReLU6.
     *
     * @param x the input
     * @return {@code clip(x, 0, 6)}
     */
    public static NDArray apply(NDArray x) {
        return x.clip(0f, 6f);
    }

    /**
     * A parameter-free block applying ReLU6 to its single input.
     *
     * @return a {@link LambdaBlock} named {@code ReLU6}
     */
    public static Block block() {
        return new LambdaBlock(list -> new NDList(apply(list.singletonOrThrow())), "ReLU6");
    }
}
