package ai.djl.quant.quantizers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Random;
import java.util.TreeSet;
import org.testng.Assert;
import org.testng.annotations.Test;

public class NHotLevelsTest {

    /**
     * Independent enumeration: every string of b signed digits in {-1, 0, 1} with at most n
     * non-zero digits, kept when its value is in range. The NAF is the minimal-weight signed-digit
     * form, so this must give the same set as the NAF weight test.
     */
    private static TreeSet<Integer> bruteForce(int bits, int hot, boolean signed) {
        int limit = signed ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
        int digits = bits + 1; // room for the carry of the top digit
        TreeSet<Integer> values = new TreeSet<>();
        int strings = (int) Math.pow(3, digits);
        for (int code = 0; code < strings; code++) {
            int c = code;
            int value = 0;
            int nonZero = 0;
            for (int d = 0; d < digits; d++) {
                int digit = c % 3 - 1;
                c /= 3;
                value += digit << d;
                nonZero += digit != 0 ? 1 : 0;
            }
            if (nonZero <= hot && value <= limit && (signed ? value >= -limit : value >= 0)) {
                values.add(value);
            }
        }
        return values;
    }

    @Test
    public void levelCountsMatchBruteForce() {
        Assert.assertEquals(new NHotLevels(8, 2, true).size(), 87);
        Assert.assertEquals(new NHotLevels(8, 2, true).indexBits(), 7);
        Assert.assertEquals(new NHotLevels(4, 1, true).levels(), new int[] {-4, -2, -1, 0, 1, 2, 4});
        int[][] cases = {{8, 2}, {8, 1}, {8, 3}, {4, 1}, {4, 2}, {6, 2}};
        for (int[] c : cases) {
            for (boolean signed : new boolean[] {true, false}) {
                int[] expected = bruteForce(c[0], c[1], signed).stream().mapToInt(Integer::intValue).toArray();
                Assert.assertEquals(new NHotLevels(c[0], c[1], signed).levels(), expected, "b=" + c[0] + " n=" + c[1] + " signed=" + signed);
            }
        }
    }

    @Test
    public void nafWeights() {
        Assert.assertEquals(NHotLevels.nafWeight(0), 0);
        Assert.assertEquals(NHotLevels.nafWeight(7), 2); // 8 - 1
        Assert.assertEquals(NHotLevels.nafWeight(-7), 2);
        Assert.assertEquals(NHotLevels.nafWeight(5), 2); // 4 + 1
        Assert.assertEquals(NHotLevels.nafWeight(11), 3); // 16 - 4 - 1
        Assert.assertEquals(NHotLevels.nafWeight(127), 2);
    }

    @Test
    public void roundsToTheNearestLevel() {
        NHotLevels set = new NHotLevels(8, 2, true);
        int[] levels = set.levels();
        Random random = new Random(7);
        float[] v = new float[2000];
        for (int i = 0; i < v.length; i++) {
            v[i] = (random.nextFloat() * 2 - 1) * 127;
        }
        // exact midpoints and levels too
        v[0] = 127f;
        v[1] = -127f;
        v[2] = 0f;
        v[3] = 14f; // between 12 and 15? 14 = 16 - 2 is a level
        v[4] = 43.5f; // midpoint of 40 and 47? not a level pair; still a valid input
        try (NDManager manager = NDManager.newBaseManager()) {
            float[] rounded = set.round(manager.create(v)).toFloatArray();
            for (int i = 0; i < v.length; i++) {
                double best = Double.MAX_VALUE;
                for (int l : levels) {
                    best = Math.min(best, Math.abs(l - v[i]));
                }
                Assert.assertEquals(Math.abs(rounded[i] - v[i]), best, 1e-4, "value " + v[i] + " -> " + rounded[i]);
                Assert.assertTrue(java.util.Arrays.binarySearch(levels, (int) rounded[i]) >= 0);
                // the integer engine rounds one value at a time: it must agree everywhere
                Assert.assertEquals(set.round(v[i]), (int) rounded[i], "scalar rounding of " + v[i]);
            }
        }
    }
}
