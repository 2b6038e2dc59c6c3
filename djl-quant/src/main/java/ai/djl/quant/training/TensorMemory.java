package ai.djl.quant.training;

import ai.djl.quant.quantizers.NativeKernels;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes glibc keep the memory of freed tensors for the next ones instead of handing it back to the
 * kernel, so that training steps stop paying page faults.
 *
 * <p>PyTorch's CPU tensors come from malloc. With glibc's defaults a block over 128 KiB is a fresh
 * {@code mmap} and the heap's free top is returned once it exceeds twice that; both thresholds grow
 * with the blocks a program frees, but a new model or training phase starts the climb again. Until
 * then every activation of a few MB is faulted in page by page on each step: a CompactCnn fp32 step
 * (batch 128, 2 cores) took 130–160 ms instead of 50–55 ms for its first hundreds of steps, and the
 * main job's program took 455 s against 163–178 s with these settings. {@link #keepFreed()} sets {@code
 * M_MMAP_THRESHOLD = 1 GiB}, {@code M_TRIM_THRESHOLD = 2 GiB - 1} and {@code M_TOP_PAD = 256 MiB}
 * (what {@code MALLOC_MMAP_THRESHOLD_} etc. would set at start-up): the process keeps its peak
 * memory instead (about 2.8 GB for the main job).
 *
 * <p>The training helpers ({@link ClassifierTraining#fit}, {@link StepTimer}) call it; it needs the
 * project's native library (Linux x86-64, built with g++), and {@code
 * -Ddjl.quant.keepFreedMemory=false} leaves glibc's defaults.
 */
public final class TensorMemory {

    private static final Logger LOG = LoggerFactory.getLogger(TensorMemory.class);
    private static final long MMAP_THRESHOLD = 1L << 30;
    private static final long TRIM_THRESHOLD = Integer.MAX_VALUE;
    private static final long TOP_PAD = 256L << 20;

    private static Boolean applied;

    private TensorMemory() {}

    /**
     * Applies the settings once per process (see the class comment).
     *
     * @return whether glibc now keeps freed memory (false without the native library or when
     *     disabled by {@code -Ddjl.quant.keepFreedMemory=false})
     */
    public static synchronized boolean keepFreed() {
        if (applied == null) {
            applied = Boolean.parseBoolean(System.getProperty("djl.quant.keepFreedMemory", "true")) && NativeKernels.isLoaded()
                    && keepFreed0(MMAP_THRESHOLD, TRIM_THRESHOLD, TOP_PAD) == 1;
            LOG.debug("glibc keeps freed tensor memory: {}", applied);
        }
        return applied;
    }

    private static native int keepFreed0(long mmapThreshold, long trimThreshold, long topPad);
}
