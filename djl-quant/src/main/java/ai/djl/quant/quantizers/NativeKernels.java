package ai.djl.quant.quantizers;

import ai.djl.engine.Engine;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The project's native PyTorch operators ({@code src/main/native}), compiled by the build for
 * linux-x86_64 into {@code native/linux-x86_64/libdjl_quant_kernels.so} on the class path and
 * loaded into DJL's PyTorch engine on first use. They register through PyTorch's stable C ABI
 * ({@code aoti_torch_library_*}), so the library needs neither libtorch's headers nor its C++ ABI
 * and binds to the {@code libtorch_cpu.so} and OpenMP runtime that DJL has already loaded.
 *
 * <p>Operators: {@code djl_quant::lsq_coefficients(x, scale, qmin, qmax) -> (m, a)}, see {@link
 * FusedFakeQuantize}; {@code djl_quant::shift_weight(w, sigma0, λ, mode, grid, rounding, bound,
 * centered) -> (gain, out)} and {@code djl_quant::shift_levels(x, λ, mode, grid, rounding, bound)
 * -> out}, see {@link FusedShiftQuantize}. Unavailable (and every caller falls back to PyTorch operations computing
 * the same values) on another OS or engine, when the build had no C++ compiler, or with {@code
 * -Ddjl.quant.native=false}. The library also holds the JNI function of {@link
 * ai.djl.quant.training.TensorMemory}.
 */
public final class NativeKernels {

    private static final Logger LOG = LoggerFactory.getLogger(NativeKernels.class);
    private static final String RESOURCE = "/native/linux-x86_64/libdjl_quant_kernels.so";

    private static Boolean loaded;

    private NativeKernels() {}

    /**
     * Loads the library once (after DJL's PyTorch engine) and says whether its operators are registered.
     *
     * @return true when {@code torch.ops.djl_quant.*} can be called
     */
    public static synchronized boolean isLoaded() {
        if (loaded == null) {
            loaded = load();
        }
        return loaded;
    }

    /**
     * Returns whether the operators may be used for this call ({@code -Ddjl.quant.native}, read
     * each time so that a benchmark can compare both paths in one run).
     *
     * @return true when enabled and loaded
     */
    static boolean isEnabled() {
        return Boolean.parseBoolean(System.getProperty("djl.quant.native", "true")) && isLoaded();
    }

    private static boolean load() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "");
        if (!os.contains("linux") || !("amd64".equals(arch) || "x86_64".equals(arch))
                || !"PyTorch".equals(Engine.getInstance().getEngineName())) {
            return false;
        }
        try (InputStream in = NativeKernels.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                LOG.info("djl-quant was built without its native kernels (no C++ compiler?); using PyTorch operations");
                return false;
            }
            Path file = Files.createTempFile("libdjl_quant_kernels", ".so");
            file.toFile().deleteOnExit();
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            System.load(file.toString());
            return true;
        } catch (IOException | UnsatisfiedLinkError e) {
            LOG.warn("djl-quant's native kernels did not load ({}); using PyTorch operations", e.toString());
            return false;
        }
    }
}
