package ai.djl.quant.quantizers;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Learned-step fake quantization with few passes over memory, reached from DJL through a tiny
 * TorchScript module written at run time (DJL's PyTorch binding exposes no fake-quantize operator).
 *
 * <p>Per tensor (activations) it is PyTorch's fused kernel {@code
 * torch._fake_quantize_learnable_per_tensor_affine}: one pass forward, one backward. Per channel
 * (weights) PyTorch's {@code _per_channel_affine} kernel is scalar code that took about 12 ns per
 * weight forward and backward on a ResNet18; here it is a chain of vectorised operations with the
 * same values and gradients, {@code y = x·m + s_g·a} with {@code v = x/s}, {@code q =
 * clamp(round(v), Qn, Qp)}, {@code m = [round(v) = q]}, {@code a = sg(q - v·m)} and {@code s_g}
 * the step with its gradient scaled by {@code g}: {@code dy/dx = m}, {@code dy/ds = g·a}, about
 * eight passes in all (the step time of a wrapped ResNet18 fell by about a tenth). Its forward
 * value is {@code q·s} to within rounding of the last bit; hard mode computes {@code q·s} exactly.
 *
 * <p>The gradients are LSQ's with one difference at the range ends: an input within half a step
 * beyond {@code Qp·s} (or {@code Qn·s}) rounds to the end level and is counted inside (gradient 1,
 * step gradient {@code round(x/s) - x/s}), where the element-wise LSQ clips first. Values are
 * identical. Used by {@link LearnedStepQuantizer} on uniform level sets with the PyTorch engine;
 * {@code -Ddjl.quant.fused=false} turns it off.
 */
final class FusedFakeQuantize {

    private static final String CODE =
            "class FakeQuant(Module):\n"
                    + "  __parameters__ = []\n"
                    + "  __buffers__ = []\n"
                    + "  training : bool\n"
                    + "  def forward(self: __torch__.FakeQuant,\n"
                    + "    x: Tensor,\n"
                    + "    scale: Tensor,\n"
                    + "    settings: Tensor) -> Tensor:\n"
                    + "    qmin = int(settings[0])\n"
                    + "    qmax = int(settings[1])\n"
                    + "    axis = int(settings[2])\n"
                    + "    g = float(settings[3])\n"
                    + "    if torch.eq(axis, -1):\n"
                    + "      s = torch.reshape(scale, [-1])\n"
                    + "      zp = torch.zeros_like(s)\n"
                    + "      return torch._fake_quantize_learnable_per_tensor_affine(x, s, zp, qmin, qmax, g)\n"
                    // per channel: y = x·m + s_g·a, a = sg(q - v·m), v = x/s, q = clamp(round(v)),
                    // m = [round(v) in range], s_g = s with gradient g: d/dx = m, d/ds = g·a
                    + "    v = torch.div(torch.detach(x), torch.detach(scale))\n"
                    + "    r = torch.round(v)\n"
                    + "    q = torch.clamp(r, float(qmin), float(qmax))\n"
                    + "    m = torch.type_as(torch.eq(r, q), x)\n"
                    + "    a = torch.addcmul_(q, v, m, value=-1)\n"
                    + "    sg = torch.add(torch.mul(scale, g), torch.detach(torch.mul(scale, 1.0 - g)))\n"
                    + "    return torch.addcmul(torch.mul(x, m), sg, a)\n";

    /** The pickled module object: GLOBAL __torch__.FakeQuant, NEWOBJ, BUILD {training: True}. */
    private static final byte[] DATA = {
        (byte) 0x80, 2, 'c', '_', '_', 't', 'o', 'r', 'c', 'h', '_', '_', '\n', 'F', 'a', 'k', 'e', 'Q',
        'u', 'a', 'n', 't', '\n', ')', (byte) 0x81, '}', 'X', 8, 0, 0, 0, 't', 'r', 'a', 'i', 'n', 'i',
        'n', 'g', (byte) 0x88, 's', 'b', '.'
    };

    /** Held for the life of the JVM: dropping the model would release the module's handle. */
    private static Model model;
    private static Block block;
    private static boolean tried;

    private FusedFakeQuantize() {}

    /**
     * Returns the fused kernel, loading it on first use; null when it is unavailable (another
     * engine, or turned off).
     */
    private static synchronized Block block() {
        if (!tried) {
            tried = true;
            if (Boolean.parseBoolean(System.getProperty("djl.quant.fused", "true"))
                    && "PyTorch".equals(Engine.getInstance().getEngineName())) {
                try {
                    Path dir = Files.createTempDirectory("djl-quant-fused");
                    dir.toFile().deleteOnExit();
                    Path file = dir.resolve("fakequant.pt");
                    write(file);
                    file.toFile().deleteOnExit();
                    // lives as long as the JVM: one shared, parameter-free module
                    model = Model.newInstance("fakequant", "PyTorch");
                    model.load(dir, "fakequant");
                    block = model.getBlock();
                } catch (IOException | ai.djl.MalformedModelException | RuntimeException e) {
                    block = null;
                }
            }
        }
        return block;
    }

    private static void write(Path file) throws IOException {
        try (OutputStream os = Files.newOutputStream(file);
                ZipOutputStream zip = new ZipOutputStream(os)) {
            stored(zip, "fakequant/data.pkl", DATA);
            stored(zip, "fakequant/code/__torch__.py", CODE.getBytes(StandardCharsets.UTF_8));
            stored(zip, "fakequant/constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'});
            stored(zip, "fakequant/version", "3\n".getBytes(StandardCharsets.US_ASCII));
            stored(zip, "fakequant/byteorder", "little".getBytes(StandardCharsets.US_ASCII));
        }
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

    /**
     * Applies the fused kernel, or returns null when it is unavailable.
     *
     * @param x the input
     * @param step the step, shape (1) or (C, 1, …)
     * @param qn the lowest level
     * @param qp the highest level
     * @param perChannel whether the step is per channel (axis 0)
     * @param gradScale the factor of the step's gradient
     * @return the fake-quantized tensor, or null
     */
    static NDArray apply(NDArray x, NDArray step, int qn, int qp, boolean perChannel, double gradScale) {
        Block fused = block();
        if (fused == null) {
            return null;
        }
        NDArray settings = x.getManager().create(new float[] {qn, qp, perChannel ? 0 : -1, (float) gradScale});
        return fused.forward(new ParameterStore(x.getManager(), false), new NDList(x, step, settings), true).head();
    }
}
