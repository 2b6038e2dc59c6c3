package ai.djl.quant.quantizers;

import ai.djl.engine.Engine;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.Locale;
import org.testng.Assert;
import org.testng.annotations.Test;

public class NativeKernelsTest {

    @Test
    public void theBuildBundlesTheLibraryAndItLoadsOnLinuxX86() {
        boolean linuxX86 = System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("linux")
                && "amd64".equals(System.getProperty("os.arch"));
        Assert.assertEquals(NativeKernels.isLoaded(), linuxX86,
                "native/linux-x86_64/libdjl_quant_kernels.so should be built (src/main/native/build.sh, needs g++) and load");
    }

    @Test
    public void nativeCoefficientsGiveTheChainsValuesAndGradientsBitForBit() {
        try (NDManager manager = NDManager.newBaseManager()) {
            manager.getEngine().setRandomSeed(11);
            // 16 channels, steps 0.05-0.5; half the inputs on exact multiples of half a step
            // (ties to even, the range ends) and some far beyond the range
            NDArray step = manager.randomUniform(0.05f, 0.5f, new Shape(16, 1, 1, 1));
            NDArray ties = manager.randomInteger(-20, 20, new Shape(16, 8, 3, 3), ai.djl.ndarray.types.DataType.INT32)
                    .toType(ai.djl.ndarray.types.DataType.FLOAT32, false).mul(step).mul(0.5f);
            NDArray x = manager.randomNormal(0, 1.5f, new Shape(16, 8, 3, 3), ai.djl.ndarray.types.DataType.FLOAT32)
                    .concat(ties, 1);
            NDArray[] chain = run(manager, x, step, false);
            NDArray[] fused = run(manager, x, step, true);
            for (int i = 0; i < 3; i++) {
                Assert.assertEquals(fused[i].toFloatArray(), chain[i].toFloatArray(), "output " + i + " (value, dL/dx, dL/ds)");
            }
        }
    }

    @Test
    public void aScaleThatMatchesNoDimensionIsRefusedByName() {
        Assert.assertTrue(NativeKernels.isLoaded());
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.ones(new Shape(4, 3));
            NDArray step = manager.ones(new Shape(3, 1));
            EngineException e = Assert.expectThrows(EngineException.class,
                    () -> FusedFakeQuantize.apply(x, step, -8, 7, true, 1).toFloatArray());
            Assert.assertTrue(e.getMessage().contains("lsq_coefficients") && e.getMessage().contains("3 scales"), e.getMessage());
        }
    }

    /** Value, input gradient and step gradient of the fused per-channel quantizer, native or chain. */
    private static NDArray[] run(NDManager manager, NDArray x0, NDArray step0, boolean nativeKernel) {
        return QuantizerTesting.withNative(nativeKernel, () -> {
            NDArray x = x0.duplicate();
            NDArray step = step0.duplicate();
            x.setRequiresGradient(true);
            step.setRequiresGradient(true);
            NDArray upstream = manager.arange((float) x.size()).reshape(x.getShape()).mul(0.01f);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray y = FusedFakeQuantize.apply(x, step, -8, 7, true, 0.1);
                gc.backward(y.mul(upstream).sum());
                return new NDArray[] {y.stopGradient(), x.getGradient().duplicate(), step.getGradient().duplicate()};
            }
        });
    }
}
