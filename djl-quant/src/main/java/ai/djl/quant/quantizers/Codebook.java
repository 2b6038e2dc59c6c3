package ai.djl.quant.quantizers;

import java.util.OptionalInt;

/**
 * A quantized weight tensor as integer codes: {@code w[r, i] = levels[t(r), codes[r·n + i]] ·
 * scales[r]}, with one shared level table ({@code tableRows = 1}) or one per row, and one scale per
 * row (output channel) or a single one.
 *
 * @param levels the level tables, row-major ({@code tableRows × levelCount})
 * @param tableRows 1 for a shared table, else the number of rows
 * @param scales the scale of each row (length {@code rows} or 1)
 * @param rows the number of rows (output channels)
 * @param codes the index of every weight's level, row-major
 */
public record Codebook(float[] levels, int tableRows, float[] scales, int rows, int[] codes) {

    /**
     * Returns the number of levels per table.
     *
     * @return the table length
     */
    public int levelCount() {
        return levels.length / tableRows;
    }

    /**
     * Returns the bits of one code: {@code ceil(log2(levelCount))}.
     *
     * @return the index bits
     */
    public int indexBits() {
        int n = levelCount();
        return n <= 1 ? 1 : 32 - Integer.numberOfLeadingZeros(n - 1);
    }

    /**
     * The exponent {@code e} of the smallest power of two (up to 2^16) that makes every level an
     * integer, so that {@code w = (levels·2^e)[code] · (scale / 2^e)}: the form of integer kernels
     * and int8/int16 exports. Uniform, power-of-two, shift and n-hot levels have one; learned
     * tables do not.
     *
     * @return e, or empty when the levels are not integers times a power of two
     */
    public OptionalInt dyadicExponent() {
        for (int e = 0; e <= 16; e++) {
            boolean integral = true;
            for (float l : levels) {
                double scaled = Math.scalb((double) l, e);
                if (scaled != Math.rint(scaled) || Math.abs(scaled) > Integer.MAX_VALUE) {
                    integral = false;
                    break;
                }
            }
            if (integral) {
                return OptionalInt.of(e);
            }
        }
        return OptionalInt.empty();
    }

    /**
     * The integer value of every weight, {@code levels[code]·2^e}.
     *
     * @param exponent e from {@link #dyadicExponent()}
     * @return one integer per weight, row-major
     */
    public int[] integerCodes(int exponent) {
        int perRow = codes.length / rows;
        int k = levelCount();
        int[] out = new int[codes.length];
        for (int r = 0; r < rows; r++) {
            int table = tableRows == 1 ? 0 : r * k;
            for (int i = 0; i < perRow; i++) {
                out[r * perRow + i] = (int) Math.scalb((double) levels[table + codes[r * perRow + i]], exponent);
            }
        }
        return out;
    }

    /**
     * The scale of a row.
     *
     * @param row the row
     * @return its scale
     */
    public float scale(int row) {
        return scales.length == 1 ? scales[0] : scales[row];
    }

    /**
     * Reconstructs the weights.
     *
     * @return {@code levels[code]·scale} for every weight
     */
    public float[] decode() {
        int perRow = codes.length / rows;
        int k = levelCount();
        float[] out = new float[codes.length];
        for (int r = 0; r < rows; r++) {
            int table = tableRows == 1 ? 0 : r * k;
            float scale = scales.length == 1 ? scales[0] : scales[r];
            for (int i = 0; i < perRow; i++) {
                out[r * perRow + i] = levels[table + codes[r * perRow + i]] * scale;
            }
        }
        return out;
    }

    /**
     * Builds a codebook from weights already divided by their row scale, each exactly one of the
     * levels of its table (as a hard quantizer's output is).
     *
     * @param normalised the weights divided by their scale, row-major
     * @param levels the sorted level tables, row-major
     * @param tableRows 1 for a shared table, else {@code rows}
     * @param scales the row scales
     * @param rows the number of rows
     * @return the codebook
     * @throws IllegalStateException when a value is not a level (the model was not in hard mode)
     */
    public static Codebook of(float[] normalised, float[] levels, int tableRows, float[] scales, int rows) {
        int perRow = normalised.length / rows;
        int k = levels.length / tableRows;
        int[] codes = new int[normalised.length];
        for (int r = 0; r < rows; r++) {
            int from = tableRows == 1 ? 0 : r * k;
            for (int i = 0; i < perRow; i++) {
                float v = normalised[r * perRow + i];
                int best = 0;
                float distance = Float.MAX_VALUE;
                // levels are sorted: binary search, then the closer neighbour
                int lo = from;
                int hi = from + k - 1;
                while (lo < hi) {
                    int mid = (lo + hi) >>> 1;
                    if (levels[mid] < v) {
                        lo = mid + 1;
                    } else {
                        hi = mid;
                    }
                }
                for (int j = Math.max(from, lo - 1); j <= Math.min(from + k - 1, lo); j++) {
                    float d = Math.abs(levels[j] - v);
                    if (d < distance) {
                        distance = d;
                        best = j - from;
                    }
                }
                if (distance > 1e-4f * Math.max(1f, Math.abs(v))) {
                    throw new IllegalStateException(
                            "value " + v + " of row " + r + " is not a level: quantize in hard mode first");
                }
                codes[r * perRow + i] = best;
            }
        }
        return new Codebook(levels, tableRows, scales, rows, codes);
    }
}
