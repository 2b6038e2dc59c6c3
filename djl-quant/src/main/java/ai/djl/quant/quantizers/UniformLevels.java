package ai.djl.quant.quantizers;

import ai.djl.ndarray.NDArray;
import java.util.stream.IntStream;

/**
 * All integers from {@code min} to {@code max}; rounding half to even, as {@code torch.round}.
 *
 * @param min the smallest level
 * @param max the largest level
 */
public record UniformLevels(int min, int max) implements LevelSet {

    /**
     * Checks the range.
     *
     * @param min the smallest level
     * @param max the largest level
     */
    public UniformLevels {
        if (max <= min) {
            throw new IllegalArgumentException("empty level range [" + min + ", " + max + "]");
        }
    }

    @Override
    public int[] levels() {
        return IntStream.rangeClosed(min, max).toArray();
    }

    @Override
    public int size() {
        return max - min + 1;
    }

    @Override
    public NDArray round(NDArray v) {
        return v.round();
    }

    @Override
    public int round(float v) {
        return (int) Math.rint(v);
    }

    @Override
    public String describe() {
        return "uniform[" + min + "," + max + "]";
    }
}
