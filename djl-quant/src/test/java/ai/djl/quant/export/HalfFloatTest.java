package ai.djl.quant.export;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.Random;
import org.testng.Assert;
import org.testng.annotations.Test;

public class HalfFloatTest {

    @Test
    public void everyHalfRoundTrips() {
        for (int h = 0; h < 0x10000; h++) {
            float f = HalfFloat.toFloat((short) h);
            if (Float.isNaN(f)) {
                Assert.assertTrue(Float.isNaN(HalfFloat.toFloat(HalfFloat.fromFloat(f))));
            } else {
                Assert.assertEquals(HalfFloat.fromFloat(f) & 0xffff, h, "half 0x" + Integer.toHexString(h));
            }
        }
    }

    @Test
    public void roundsLikePyTorch() {
        Random random = new Random(7);
        float[] values = new float[20000];
        for (int i = 0; i < values.length; i++) {
            // normal, subnormal, tie-heavy and overflowing magnitudes
            values[i] = (float) (random.nextGaussian() * Math.pow(2, random.nextInt(40) - 28));
        }
        values[0] = 1 + 0x1p-11f; // exactly between 1 and the next half: ties to even (1)
        values[1] = 65520f; // rounds to infinity
        values[2] = 0x1p-25f; // half the smallest subnormal: ties to even (0)
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray reference = manager.create(values).toType(DataType.FLOAT16, false).toType(DataType.FLOAT32, false);
            float[] expected = reference.toFloatArray();
            for (int i = 0; i < values.length; i++) {
                Assert.assertEquals(HalfFloat.toFloat(HalfFloat.fromFloat(values[i])), expected[i], 0f, "value " + values[i]);
            }
        }
    }
}
