package ai.djl.quant.nn;

import ai.djl.nn.Block;
import ai.djl.nn.convolutional.Convolution;

/**
 * A quantizable layer found in a block tree, as seen by {@link ai.djl.quant.LayerSelector}s.
 *
 * @param path the child names from the root joined by {@code /}, e.g. {@code
 *     02SequentialBlock/01Conv2d}; empty for the root itself
 * @param block the layer
 * @param index its position among the quantizable layers, in forward (depth-first) order
 * @param count the number of quantizable layers in the tree
 */
public record LayerInfo(String path, Block block, int index, int count) {

    /**
     * Returns whether this is the first quantizable layer (usually the stem convolution).
     *
     * @return true for the first
     */
    public boolean isFirst() {
        return index == 0;
    }

    /**
     * Returns whether this is the last quantizable layer (usually the classifier).
     *
     * @return true for the last
     */
    public boolean isLast() {
        return index == count - 1;
    }

    /**
     * Returns the layer's class name, e.g. {@code Conv2d}.
     *
     * @return the simple class name
     */
    public String type() {
        return block.getClass().getSimpleName();
    }

    /**
     * Returns the kernel size of a convolution as {@code "3x3"}, or an empty string.
     *
     * @return the kernel size
     */
    public String kernel() {
        if (block instanceof Convolution conv) {
            StringBuilder sb = new StringBuilder();
            for (long k : conv.getKernelShape().getShape()) {
                if (sb.length() > 0) {
                    sb.append('x');
                }
                sb.append(k);
            }
            return sb.toString();
        }
        return "";
    }

    /**
     * Returns a printable name of the path.
     *
     * @return the path, or {@code <root>}
     */
    public String displayPath() {
        return BlockTree.displayPath(path);
    }
}
