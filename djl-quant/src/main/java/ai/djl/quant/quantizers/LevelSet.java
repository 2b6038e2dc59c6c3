package ai.djl.quant.quantizers;

import ai.djl.ndarray.NDArray;

/**
 * A finite set of integer levels {@code m} (the quantized value is {@code m·Δ}) with rounding to
 * the nearest one. Used by step-based quantizers: uniform grids and n-hot sets.
 */
public interface LevelSet {

    /**
     * Returns the smallest level.
     *
     * @return the minimum
     */
    int min();

    /**
     * Returns the largest level.
     *
     * @return the maximum
     */
    int max();

    /**
     * Returns the levels in increasing order.
     *
     * @return a new sorted array
     */
    int[] levels();

    /**
     * Returns the number of levels.
     *
     * @return {@code levels().length}
     */
    default int size() {
        return levels().length;
    }

    /**
     * Returns the bits of an index into the set: {@code ceil(log2(size))}.
     *
     * @return the storage bits of one code
     */
    default int indexBits() {
        int size = size();
        return size <= 1 ? 0 : 32 - Integer.numberOfLeadingZeros(size - 1);
    }

    /**
     * Rounds each value to the nearest level, without gradient.
     *
     * @param v values already clipped to {@code [min, max]}
     * @return the levels, as floats, same shape
     */
    NDArray round(NDArray v);

    /**
     * Rounds one value to the nearest level, exactly as {@link #round(NDArray)} does in float.
     *
     * @param v a value already clipped to {@code [min, max]}
     * @return the level
     */
    int round(float v);

    /**
     * Returns a short description for summaries.
     *
     * @return e.g. {@code "uniform[-8,7]"}
     */
    String describe();
}
