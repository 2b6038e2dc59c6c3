package ai.djl.quant.quantizers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.quant.nn.GraphConstants;
import java.util.ArrayList;
import java.util.List;

/**
 * The n-hot level set (Sakuma et al. 2021): the integers {@code m} whose non-adjacent signed-digit
 * form (NAF) has at most {@code n} non-zero digits, so that {@code m·x} takes at most {@code n}
 * shifts and {@code n-1} additions or subtractions.
 *
 * <ul>
 *   <li>signed b bits: {@code |m| ≤ 2^(b-1) - 1}; b=8, n=2 gives 87 levels (a 7-bit index);
 *   <li>unsigned b bits: {@code 0 ≤ m ≤ 2^b - 1}.
 * </ul>
 *
 * <p>Rounding is exact nearest-level rounding by table: every level and every midpoint between
 * two levels is a multiple of 1/2, so {@code floor(2·(v - min))} indexes a cell of width 1/2
 * lying wholly on one side of each midpoint; the table stores each cell's nearest level (a value
 * exactly on a midpoint goes up).
 */
public final class NHotLevels implements LevelSet {

    private final int bits;
    private final int hot;
    private final boolean signed;
    private final int[] levels;
    private final float[] table;

    /**
     * Builds the set.
     *
     * @param bits b, 2 to 16
     * @param hot n, the largest number of non-zero signed digits, 1 or more
     * @param signed whether negative levels exist
     */
    public NHotLevels(int bits, int hot, boolean signed) {
        Quantizer.checkBits(bits, 2, "NHotLevels");
        if (hot < 1) {
            throw new IllegalArgumentException("NHotLevels: n must be at least 1, got " + hot);
        }
        this.bits = bits;
        this.hot = hot;
        this.signed = signed;
        int limit = signed ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
        List<Integer> list = new ArrayList<>();
        for (int m = signed ? -limit : 0; m <= limit; m++) {
            if (nafWeight(m) <= hot) {
                list.add(m);
            }
        }
        levels = list.stream().mapToInt(Integer::intValue).toArray();
        int min = levels[0];
        int max = levels[levels.length - 1];
        table = new float[2 * (max - min) + 1];
        int nearest = 0;
        for (int j = 0; j < table.length; j++) {
            double cell = min + (j + 0.5) / 2; // the centre of [min + j/2, min + (j+1)/2)
            while (nearest + 1 < levels.length
                    && Math.abs(levels[nearest + 1] - cell) < Math.abs(levels[nearest] - cell)) {
                nearest++;
            }
            table[j] = levels[nearest];
        }
    }

    /**
     * Returns the number of non-zero digits of the non-adjacent form of {@code m}, the fewest
     * signed powers of two that sum to {@code m}.
     *
     * @param m any integer
     * @return the NAF weight
     */
    public static int nafWeight(long m) {
        long v = Math.abs(m);
        int weight = 0;
        while (v != 0) {
            if ((v & 1) == 1) {
                long digit = 2 - (v & 3); // +1 or -1, chosen so that the next digit is 0
                v -= digit;
                weight++;
            }
            v >>= 1;
        }
        return weight;
    }

    /**
     * Returns n, the most non-zero signed digits of a level.
     *
     * @return n
     */
    public int hot() {
        return hot;
    }

    @Override
    public int min() {
        return levels[0];
    }

    @Override
    public int max() {
        return levels[levels.length - 1];
    }

    @Override
    public int[] levels() {
        return levels.clone();
    }

    @Override
    public int size() {
        return levels.length;
    }

    @Override
    public NDArray round(NDArray v) {
        NDArray index = GraphConstants.muli(v.sub(min()), 2).floor().toType(DataType.INT64, false);
        NDArray lookup = GraphConstants.of(v.getManager(), table, new Shape(table.length));
        return lookup.take(v.getManager(), index);
    }

    @Override
    public int round(float v) {
        return (int) table[(int) Math.floor((v - min()) * 2)];
    }

    @Override
    public String describe() {
        return "nhot(b=" + bits + ",n=" + hot + (signed ? "" : ",unsigned") + ")";
    }
}
