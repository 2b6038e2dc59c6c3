package ai.djl.quant.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.quant.quantizers.NativeKernels;
import org.testng.Assert;
import org.testng.SkipException;
import org.testng.annotations.Test;

public class TensorMemoryTest {

    @Test
    public void glibcTakesTheSettingsThroughTheNativeLibrary() {
        try (NDManager manager = NDManager.newBaseManager()) {
            manager.zeros(new Shape(1)); // starts the engine, which the library binds to
            if (!NativeKernels.isLoaded()) {
                throw new SkipException("no native library on this platform or build");
            }
            Assert.assertTrue(TensorMemory.keepFreed(), "the JNI function is bound and mallopt accepted every setting");
            Assert.assertTrue(TensorMemory.keepFreed(), "a second call reports the same");
            // tensors over the old 128 KiB mmap threshold still allocate, free and allocate again
            for (int i = 0; i < 3; i++) {
                try (NDArray big = manager.ones(new Shape(4, 1 << 20))) {
                    Assert.assertEquals(big.sum().getFloat(), 4f * (1 << 20));
                }
            }
        }
    }
}
