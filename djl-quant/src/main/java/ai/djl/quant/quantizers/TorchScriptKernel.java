package ai.djl.quant.quantizers;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * A parameter-free TorchScript module written at run time from its source and loaded into DJL's
 * PyTorch engine: the way to reach PyTorch operations that DJL's binding does not expose
 * ({@code copysign}, {@code exp2}, in-place {@code log2_}, the fake-quantize kernels) and to run a
 * chain of them with one call from Java. Loaded once, on first use, and held for the life of the
 * JVM; unavailable (null) with another engine or with {@code -Ddjl.quant.fused=false}, and then
 * the callers compute the same values with DJL operations.
 */
final class TorchScriptKernel {

    private final String className;
    private final String source;
    private Model model;
    private Block block;
    private boolean tried;

    /**
     * Declares a kernel.
     *
     * @param className the TorchScript class, as named in {@code source}
     * @param source {@code class <className>(Module): …} with a {@code forward} taking tensors
     */
    TorchScriptKernel(String className, String source) {
        this.className = className;
        this.source = source;
    }

    /**
     * Runs the module's {@code forward}, or returns null when the kernel is unavailable.
     *
     * @param inputs the tensors, in {@code forward}'s order; the result is attached to the first one's manager
     * @return the output, or null
     */
    NDArray apply(NDArray... inputs) {
        Block kernel = block();
        if (kernel == null) {
            return null;
        }
        return kernel.forward(new ParameterStore(inputs[0].getManager(), false), new NDList(inputs), true).head();
    }

    /**
     * Returns whether the kernel loads here (the PyTorch engine, not turned off).
     *
     * @return true when {@link #apply} computes
     */
    boolean isAvailable() {
        return block() != null;
    }

    private synchronized Block block() {
        if (!tried) {
            tried = true;
            if (Boolean.parseBoolean(System.getProperty("djl.quant.fused", "true"))
                    && "PyTorch".equals(Engine.getInstance().getEngineName())) {
                String name = className.toLowerCase(java.util.Locale.ROOT);
                try {
                    Path dir = Files.createTempDirectory("djl-quant-" + name);
                    dir.toFile().deleteOnExit();
                    Path file = dir.resolve(name + ".pt");
                    write(file, name);
                    file.toFile().deleteOnExit();
                    model = Model.newInstance(name, "PyTorch");
                    model.load(dir, name);
                    block = model.getBlock();
                } catch (IOException | MalformedModelException | RuntimeException e) {
                    block = null;
                }
            }
        }
        return block;
    }

    /** The archive {@code torch.jit.save} writes for a module without parameters. */
    private void write(Path file, String archive) throws IOException {
        try (OutputStream os = Files.newOutputStream(file);
                ZipOutputStream zip = new ZipOutputStream(os)) {
            stored(zip, archive + "/data.pkl", pickledModule());
            stored(zip, archive + "/code/__torch__.py", source.getBytes(StandardCharsets.UTF_8));
            stored(zip, archive + "/constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'});
            stored(zip, archive + "/version", "3\n".getBytes(StandardCharsets.US_ASCII));
            stored(zip, archive + "/byteorder", "little".getBytes(StandardCharsets.US_ASCII));
        }
    }

    /** The pickled module object: GLOBAL __torch__.{className}, NEWOBJ, BUILD {training: True}. */
    private byte[] pickledModule() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x80);
        out.write(2);
        out.writeBytes(("c__torch__\n" + className + "\n").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(new byte[] {')', (byte) 0x81, '}', 'X', 8, 0, 0, 0});
        out.writeBytes("training".getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(new byte[] {(byte) 0x88, 's', 'b', '.'});
        return out.toByteArray();
    }

    private static void stored(ZipOutputStream zip, String name, byte[] bytes) throws IOException {
        ZipEntry entry = new ZipEntry(name);
        entry.setMethod(ZipEntry.STORED);
        entry.setSize(bytes.length);
        CRC32 crc = new CRC32();
        crc.update(bytes);
        entry.setCrc(crc.getValue());
        zip.putNextEntry(entry);
        zip.write(bytes);
        zip.closeEntry();
    }
}
