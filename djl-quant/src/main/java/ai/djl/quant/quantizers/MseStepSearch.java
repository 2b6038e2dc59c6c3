package ai.djl.quant.quantizers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.quant.nn.GraphConstants;

/**
 * The step of a level set that minimises the squared error of quantizing a tensor, per row (the
 * output channels of a per-channel weight, axis 0) or for the whole tensor:
 *
 * <pre>Δ* = argmin_Δ Σ (x − nearest(clip(x/Δ, min, max))·Δ)²,  Δ ∈ {max|x|·k / (K·L) : k = 1…K}</pre>
 *
 * where {@code L = max(|min|, max)} is the level set's largest magnitude and {@code K =} {@link
 * #CANDIDATES}: every clip from {@code max|x|/K} to {@code max|x|}. A coarse, log-like grid (n-hot)
 * wants another step than the uniform grid it replaces, and a learned step hardly moves in a
 * short fine-tuning, so the step a stage starts with is nearly the one it ends with.
 */
public final class MseStepSearch {

    /** The number of clips tried. */
    public static final int CANDIDATES = 64;

    private MseStepSearch() {}

    /**
     * Searches the step.
     *
     * @param x the tensor (weights, or a batch of activations); not modified
     * @param levels the integer levels
     * @param perChannel whether each row along axis 0 gets its own step
     * @return one step per row (one value when not per channel); 1 for a row of zeros
     */
    public static float[] search(NDArray x, LevelSet levels, boolean perChannel) {
        int rows = perChannel ? Math.toIntExact(x.getShape().get(0)) : 1;
        int magnitude = Math.max(Math.abs(levels.min()), Math.abs(levels.max()));
        float[] best = new float[rows];
        double[] bestError = new double[rows];
        boolean[] zero = new boolean[rows];
        java.util.Arrays.fill(bestError, Double.MAX_VALUE);
        try (NDManager scope = x.getManager().newSubManager()) {
            scope.tempAttachAll(x); // what is computed from x lives in the scope and closes with it
            NDArray flat = x.stopGradient().reshape(rows, -1);
            float[] max = flat.abs().max(new int[] {1}).toFloatArray();
            for (int r = 0; r < rows; r++) {
                zero[r] = !(max[r] > 0);
                max[r] = zero[r] ? 1f : max[r]; // no candidate step of zero
            }
            NDArray unit = GraphConstants.divi(scope.create(max).reshape(rows, 1), magnitude * (double) CANDIDATES);
            for (int k = 1; k <= CANDIDATES; k++) {
                try (NDManager candidate = scope.newSubManager()) {
                    candidate.tempAttachAll(flat, unit); // a candidate's tensors are freed before the next
                    NDArray step = GraphConstants.mul(unit, k);
                    NDArray q = levels.round(flat.div(step).clip(levels.min(), levels.max())).muli(step);
                    float[] error = flat.sub(q).square().sum(new int[] {1}).toFloatArray();
                    float[] steps = step.toFloatArray();
                    for (int r = 0; r < rows; r++) {
                        if (error[r] < bestError[r]) {
                            bestError[r] = error[r];
                            best[r] = steps[r];
                        }
                    }
                }
            }
        }
        for (int r = 0; r < rows; r++) {
            if (zero[r]) {
                best[r] = 1f; // every step quantizes a row of zeros exactly
            }
        }
        return best;
    }
}
