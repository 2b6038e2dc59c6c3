package ai.djl.quant.quantizers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.quant.nn.GraphConstants;
import ai.djl.quant.nn.ParameterValues;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import java.util.ArrayList;
import java.util.List;

/**
 * Direct quantization with learnable levels (Hoang, Do, Nguyen, Cheung, IJCAI 2020): each layer
 * (or output channel) owns a table of {@code 2^b} trainable levels and each weight is the level
 * nearest to its latent float value.
 *
 * <p>{@code W_q = L[idx]}, {@code idx = nearest(W)} re-assigned every step; the output is {@code
 * y = W_q + (W - stopGradient(W))}: its value is {@code W_q}, the latent weights get the
 * straight-through gradient, and the levels get the exact gradient {@code dL/dL_k = Σ_{i: idx_i =
 * k} dL/dW_q,i} (a gather from the table, whose backward is a scatter-add).
 *
 * <p>The levels' gradient is scaled by {@code 1/sqrt(weights per table)} (ours, as LSQ scales its
 * step's): the exact gradient of a level sums the gradients of every weight assigned to it, so
 * unscaled, SGD moves a level tens of times further per step than any weight, and a ResNet18's
 * training loss rose epoch after epoch. {@link Builder#optGradientScale(boolean)} turns it off.
 *
 * <p>Options: per-layer or per-output-channel tables; symmetric tables ({@code 2^(b-1)} learned
 * magnitudes, mirrored); levels constrained to signed powers of two (straight-through on the
 * rounding of {@code log2|L|}). Levels start from Lloyd-Max on the pretrained weights of the
 * table's scope (on |w| when symmetric).
 */
public class LearnedLevelsQuantizer extends Quantizer {

    private final boolean symmetric;
    private final boolean powerOfTwo;
    private final boolean gradientScale;
    private final Parameter levels;

    /**
     * Creates the quantizer from its builder ({@link #builder()}).
     *
     * @param builder the settings
     */
    protected LearnedLevelsQuantizer(Builder builder) {
        super(builder);
        symmetric = builder.symmetric;
        powerOfTwo = builder.powerOfTwo;
        gradientScale = builder.gradientScale;
        levels =
                addParameter(
                        Parameter.builder()
                                .setName("levels")
                                .setType(Parameter.Type.OTHER)
                                .optInitializer(Initializer.ZEROS)
                                .build());
    }

    /**
     * Creates a builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A spec: per-channel, asymmetric tables, weights only.
     *
     * @param bits b (2^b levels)
     * @return the spec
     */
    public static QuantizerSpec spec(int bits) {
        return QuantizerSpec.of("learned", bits, (role, b) -> builder().setBits(b).optRole(role).build());
    }

    private int tableSize() {
        return symmetric ? numLevels() / 2 : numLevels();
    }

    private long rows(Shape input) {
        return perChannel ? input.get(0) : 1;
    }

    @Override
    protected void prepare(Shape[] inputShapes) {
        levels.setShape(new Shape(rows(inputShapes[0]), tableSize()));
    }

    @Override
    protected void calibrate(NDArray x) {
        long rows = rows(x.getShape());
        float[] w = x.toFloatArray();
        int perRow = (int) (w.length / rows);
        float[] init = new float[(int) rows * tableSize()];
        for (int r = 0; r < rows; r++) {
            float[] sample = new float[perRow];
            for (int i = 0; i < perRow; i++) {
                float v = w[r * perRow + i];
                sample[i] = symmetric ? Math.abs(v) : v;
            }
            System.arraycopy(LloydMax.levels(sample, tableSize(), 50), 0, init, r * tableSize(), tableSize());
        }
        ParameterValues.overwrite(levels, init);
    }

    /** The full, sorted table of levels (rows × 2^b), differentiable with respect to the parameter. */
    private NDArray table(ParameterStore ps, NDArray x, boolean training) {
        NDArray t = ps.getValue(levels, x.getDevice(), training);
        if (gradientScale && training) {
            // only when training: x·g + sg(x - x·g) may move a value by an ulp
            t = StraightThrough.gradScale(t, 1.0 / Math.sqrt((double) x.size() / rows(x.getShape())));
        }
        if (symmetric) {
            t = t.flip(1).neg().concat(t, 1);
        }
        if (powerOfTwo) {
            NDArray d = t.stopGradient();
            // sign(L)·2^round(log2|L|), unbounded exponent (a zero level stays zero)
            NDArray snapped = GraphConstants.pow(2, d.abs().log2().round()).muli(d.sign());
            t = StraightThrough.ste(t, snapped);
        }
        return t.sort(1);
    }

    /** Index of the nearest level per weight: the number of midpoints below it. */
    private static NDArray nearest(NDArray rows, NDArray sortedTable) {
        long k = sortedTable.getShape().get(1);
        NDArray mids = GraphConstants.muli(sortedTable.get(":, 1:").add(sortedTable.get(":, :-1")), 0.5);
        NDArray count = rows.zerosLike();
        for (long j = 0; j < k - 1; j++) {
            count.addi(rows.gt(mids.get(":, " + j + ":" + (j + 1))).toType(rows.getDataType(), false));
        }
        NDManager manager = rows.getManager();
        NDArray offsets = manager.arange(0f, (float) (sortedTable.getShape().get(0) * k), (float) k).reshape(-1, 1);
        return count.addi(offsets).toType(DataType.INT64, false);
    }

    private NDArray gather(NDArray x, NDArray table) {
        long rows = rows(x.getShape());
        NDArray latent = x.stopGradient().reshape(rows, -1);
        NDArray index = nearest(latent, table.stopGradient());
        return table.reshape(-1).take(x.getManager(), index).reshape(x.getShape());
    }

    @Override
    protected NDArray quantizeDifferentiable(ParameterStore ps, NDArray x, boolean training) {
        NDArray wq = gather(x, table(ps, x, training));
        return wq.add(x.sub(x.stopGradient()));
    }

    @Override
    protected NDArray quantizeHard(ParameterStore ps, NDArray x) {
        return gather(x, table(ps, x, false).stopGradient());
    }

    @Override
    public Codebook codebook(ParameterStore parameterStore, NDArray w) {
        NDArray table = table(parameterStore, w, false).stopGradient();
        float[] normalised = quantizeHard(parameterStore, w.stopGradient()).toFloatArray();
        int tableRows = (int) table.getShape().get(0);
        return Codebook.of(normalised, table.toFloatArray(), tableRows, new float[] {1f}, (int) w.getShape().get(0));
    }

    /** The level tables: the codebook holds them (sorted, snapped, mirrored when symmetric). */
    @Override
    public List<Parameter> codebookParameters() {
        return List.of(levels);
    }

    /**
     * Restores the tables from the codebook's sorted full tables: as they are, or their upper
     * (positive) halves when symmetric. Sorting, snapping and mirroring are idempotent, so the
     * restored quantizer computes what the written one did.
     *
     * @param book the codebook
     */
    @Override
    public void restoreFromCodebook(Codebook book) {
        float[] full = book.levels();
        int rows = book.tableRows();
        int k = full.length / rows;
        int stored = tableSize();
        float[] values = new float[rows * stored];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(full, r * k + (k - stored), values, r * stored, stored);
        }
        ParameterValues.overwrite(levels, values);
    }

    /**
     * Returns the current level tables, as stored (rows × levels, magnitudes when symmetric).
     *
     * @return the table values, row-major
     */
    public float[] getLevelTable() {
        return levels.getArray().toFloatArray();
    }

    @Override
    public int numLevels() {
        return 1 << bits;
    }

    @Override
    protected String methodName() {
        return "learned";
    }

    @Override
    protected List<String> describeOptions() {
        List<String> options = new ArrayList<>();
        if (symmetric) {
            options.add("symmetric");
        }
        if (powerOfTwo) {
            options.add("power-of-two");
        }
        return options;
    }

    /** The builder of {@link LearnedLevelsQuantizer}. */
    public static final class Builder extends BaseBuilder<Builder> {

        private boolean symmetric;
        private boolean powerOfTwo;
        private boolean gradientScale = true;

        Builder() {}

        /**
         * Scales the levels' gradient by {@code 1/sqrt(weights per table)} (default true).
         *
         * @param gradientScale false for the exact, unscaled gradient
         * @return this builder
         */
        public Builder optGradientScale(boolean gradientScale) {
            this.gradientScale = gradientScale;
            return this;
        }

        /**
         * Mirrors the table around zero ({@code 2^(b-1)} learned magnitudes).
         *
         * @param symmetric true for a symmetric table
         * @return this builder
         */
        public Builder optSymmetric(boolean symmetric) {
            this.symmetric = symmetric;
            return this;
        }

        /**
         * Constrains levels to signed powers of two.
         *
         * @param powerOfTwo true to snap levels to powers of two
         * @return this builder
         */
        public Builder optPowerOfTwo(boolean powerOfTwo) {
            this.powerOfTwo = powerOfTwo;
            return this;
        }

        @Override
        protected Builder self() {
            return this;
        }

        @Override
        public LearnedLevelsQuantizer build() {
            checkBits(bits, 1, "LearnedLevelsQuantizer");
            if (bits > 8) {
                throw new IllegalArgumentException(
                        "LearnedLevelsQuantizer: " + bits + " bits means " + (1 << bits)
                                + " levels per table; use 1 to 8 bits.");
            }
            if (symmetric && bits < 2) {
                throw new IllegalArgumentException("LearnedLevelsQuantizer: a symmetric table needs 2 or more bits.");
            }
            return new LearnedLevelsQuantizer(this);
        }
    }
}
