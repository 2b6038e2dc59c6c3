package ai.djl.quant.export;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.quant.nn.ParameterValues;
import ai.djl.quant.nn.QuantizedLayer;
import ai.djl.quant.nn.QuantizedNetwork;
import ai.djl.quant.quantizers.Codebook;
import ai.djl.quant.quantizers.Quantizer;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32;
import java.util.zip.CheckedOutputStream;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * The packed model format: every quantized weight tensor stored as integer codes bit-packed at
 * their real width ({@code ceil(log2 |levels|)} bits) with its level table and per-channel scales;
 * every other parameter (biases, BatchNorm, activation steps) as float32, or as float16 when asked
 * (a float model shipped at half size). A float model (no wrapper) is written the same way, all of
 * its parameters float.
 *
 * <p>Layout (big-endian): magic {@code DJLQPACK}, version, entry count, then per parameter its
 * name, shape and either float32 data, float16 data, (bits, level tables, scales, packed codes), or
 * nothing for a quantizer parameter the codebook of its layer already holds (learned level tables,
 * version 3 on; weight steps and shift σ0, which the codebook's scales determine, version 4 on: a
 * model with thousands of small channels, like MobileNetV2, no longer stores its scales twice);
 * from version 5 float16 data is deflated when that makes it smaller, high bytes before low bytes
 * (a trained model's float16 high bytes, sign and exponent, repeat a few values: the zoo's float
 * ResNet18 shrinks by 14 %, losslessly);
 * a CRC-32 of all that ends the file. Writes go to a temporary file renamed into place, so a crash never leaves a
 * half-written model under the final name.
 *
 * <p>Loading fills a model built and wrapped with the same configuration; its weights then hold
 * the hard-quantized values, its quantizers are in deploy mode, and its outputs equal those of the
 * fake-quantized model in deploy mode.
 */
public final class PackedModel {

    /** The format version this code writes and reads. */
    public static final int VERSION = 5;

    private static final byte[] MAGIC = "DJLQPACK".getBytes(StandardCharsets.US_ASCII);
    private static final byte FLOAT = 0;
    private static final byte PACKED = 1;
    private static final byte FLOAT16 = 2;
    private static final byte IN_CODEBOOK = 3;
    private static final byte FLOAT16_DEFLATED = 4;

    private PackedModel() {}

    /**
     * Writes a wrapped, initialized and calibrated model, its float parameters as float32.
     *
     * @param network the model
     * @param file the target file
     * @return the file size in bytes
     * @throws IOException when writing fails
     */
    public static long write(QuantizedNetwork network, Path file) throws IOException {
        return write(network, file, false);
    }

    /**
     * Writes an initialized model: a {@link QuantizedNetwork} with its quantized weights packed, or
     * any other block with every parameter float.
     *
     * @param block the model
     * @param file the target file
     * @param halfFloats whether parameters that stay float are stored as float16
     * @return the file size in bytes
     * @throws IOException when writing fails
     */
    public static long write(Block block, Path file, boolean halfFloats) throws IOException {
        Map<Parameter, QuantizedLayer> quantized = quantizedWeights(block);
        Set<Parameter> inCodebooks = inCodebooks(quantized.values());
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
        CRC32 crc = new CRC32();
        try (OutputStream raw = Files.newOutputStream(tmp);
                NDManager scope = block.getParameters().get(0).getValue().getArray().getManager().newSubManager()) {
            CheckedOutputStream checked = new CheckedOutputStream(new BufferedOutputStream(raw, 1 << 16), crc);
            DataOutputStream out = new DataOutputStream(checked);
            ParameterStore store = new ParameterStore(scope, false);
            out.write(MAGIC);
            out.writeInt(VERSION);
            out.writeInt(block.getParameters().size());
            for (Pair<String, Parameter> pair : block.getParameters()) {
                Parameter p = pair.getValue();
                out.writeUTF(pair.getKey());
                long[] shape = p.getArray().getShape().getShape();
                out.writeInt(shape.length);
                for (long d : shape) {
                    out.writeLong(d);
                }
                QuantizedLayer layer = quantized.get(p);
                if (inCodebooks.contains(p)) {
                    out.writeByte(IN_CODEBOOK);
                } else if (layer == null && halfFloats) {
                    writeHalfFloats(out, p.getArray().toFloatArray());
                } else if (layer == null) {
                    out.writeByte(FLOAT);
                    writeFloats(out, p.getArray().toFloatArray());
                } else {
                    out.writeByte(PACKED);
                    scope.tempAttachAll(p.getArray());
                    writeCodebook(out, layer.getWeightQuantizer().codebook(store, p.getArray()));
                }
            }
            out.flush();
            new DataOutputStream(raw).writeLong(crc.getValue());
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return Files.size(file);
    }

    /**
     * Loads a packed file into a model built (and wrapped, for a quantized model) with the
     * configuration it was written from, and initialized.
     *
     * @param block the model
     * @param file the packed file
     * @throws IOException when the file cannot be read, is truncated or corrupt
     * @throws MalformedModelException when it is another format version or another model
     */
    public static void read(Block block, Path file) throws IOException, MalformedModelException {
        read(block, Files.readAllBytes(file), file.toString());
    }

    /**
     * Loads a packed model from its bytes (e.g. a resource of a model zoo jar).
     *
     * @param block the model, built as when it was packed and initialized
     * @param bytes the file's content
     * @param source the file's name, for error messages
     * @throws IOException when the content is truncated or corrupt
     * @throws MalformedModelException when it is another format version or another model
     */
    public static void read(Block block, byte[] bytes, String source) throws IOException, MalformedModelException {
        if (!block.isInitialized()) {
            throw new IllegalStateException("Initialize the model before loading " + source);
        }
        if (bytes.length < MAGIC.length + 16 || !Arrays.equals(Arrays.copyOf(bytes, MAGIC.length), MAGIC)) {
            throw new MalformedModelException(source + " is not a djl-quant packed model (no DJLQPACK header).");
        }
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes, MAGIC.length, bytes.length - MAGIC.length));
        int version = in.readInt();
        if (version < 1 || version > VERSION) {
            throw new MalformedModelException(
                    source + " has packed format version " + version + "; this djl-quant reads versions 1 to " + VERSION + ".");
        }
        CRC32 crc = new CRC32();
        crc.update(bytes, 0, bytes.length - 8);
        long stored = new DataInputStream(new ByteArrayInputStream(bytes, bytes.length - 8, 8)).readLong();
        if (stored != crc.getValue()) {
            throw new IOException(source + " is corrupt or truncated: its checksum does not match. Write it again.");
        }
        Map<Parameter, QuantizedLayer> quantized = quantizedWeights(block);
        Set<Parameter> inCodebooks = inCodebooks(quantized.values());
        Map<QuantizedLayer, Codebook> books = new IdentityHashMap<>();
        Map<String, Parameter> byName = block.getParameters().toMap();
        try {
            int entries = in.readInt();
            if (entries != byName.size()) {
                throw new MalformedModelException(
                        source + " holds " + entries + " parameters but the model has " + byName.size()
                                + "; build and wrap the model as it was when packed.");
            }
            for (int e = 0; e < entries; e++) {
                String name = in.readUTF();
                Parameter p = byName.get(name);
                if (p == null) {
                    throw new MalformedModelException(
                            source + ": parameter " + name + " is not in this model; build and wrap it as it was when packed.");
                }
                long[] shape = new long[in.readInt()];
                for (int d = 0; d < shape.length; d++) {
                    shape[d] = in.readLong();
                }
                if (!new Shape(shape).equals(p.getArray().getShape())) {
                    throw new MalformedModelException(
                            source + ": parameter " + name + " has shape " + new Shape(shape) + " in the file but "
                                    + p.getArray().getShape() + " in the model.");
                }
                byte kind = in.readByte();
                if (kind == IN_CODEBOOK) {
                    if (!inCodebooks.contains(p)) {
                        throw new MalformedModelException(source + ": parameter " + name
                                + " is stored with a codebook in the file but not in this model; wrap the model as it was when packed.");
                    }
                    continue; // set from its layer's codebook below
                }
                Codebook book = kind == PACKED ? readCodebook(in) : null;
                float[] values =
                        switch (kind) {
                            case PACKED -> book.decode();
                            case FLOAT16 -> readHalfFloats(in);
                            case FLOAT16_DEFLATED -> readDeflatedHalfFloats(in, source + ": parameter " + name);
                            case FLOAT -> readFloats(in);
                            default -> throw new MalformedModelException(
                                    source + ": parameter " + name + " has unknown storage kind " + kind + ".");
                        };
                if (kind == PACKED && quantized.get(p) == null) {
                    throw new MalformedModelException(source + ": parameter " + name
                            + " is quantized in the file but float in the model; wrap the model as it was when packed.");
                }
                ParameterValues.overwrite(p, values);
                QuantizedLayer layer = quantized.get(p);
                if (layer != null) {
                    layer.setPrequantizedWeights(kind == PACKED);
                    if (book != null) {
                        books.put(layer, book);
                    }
                }
            }
        } catch (EOFException e) {
            throw new IOException(source + " is truncated.", e);
        }
        for (QuantizedLayer layer : quantized.values()) {
            if (!layer.getWeightQuantizer().codebookParameters().isEmpty()) {
                Codebook book = books.get(layer);
                if (book == null) {
                    throw new MalformedModelException(source + ": the weights of a layer with " + layer.getWeightQuantizer().describe()
                            + " are not packed in the file, so the parameters its codebook holds are missing.");
                }
                layer.getWeightQuantizer().restoreFromCodebook(book);
            }
        }
        if (block instanceof QuantizedNetwork network) {
            for (Quantizer q : network.getQuantizers()) {
                q.markCalibrated();
            }
            network.setDeployMode(true);
        }
    }

    /**
     * The size a perfect packing would have: every quantized weight at its index bits, every other
     * parameter (biases, BatchNorm, steps, level tables) at 32 or 16 bits, no headers.
     *
     * @param block an initialized model, wrapped or not
     * @param halfFloats whether float parameters are stored as float16
     * @return bytes
     */
    public static long idealBytes(Block block, boolean halfFloats) {
        return ModelSize.bytes(block, halfFloats);
    }

    private static Map<Parameter, QuantizedLayer> quantizedWeights(Block block) {
        Map<Parameter, QuantizedLayer> map = new IdentityHashMap<>();
        if (block instanceof QuantizedNetwork network) {
            for (QuantizedLayer layer : network.getQuantizedLayers()) {
                map.put(layer.getWeight(), layer);
            }
        }
        return map;
    }

    private static Set<Parameter> inCodebooks(Collection<QuantizedLayer> layers) {
        Set<Parameter> set = Collections.newSetFromMap(new IdentityHashMap<>());
        for (QuantizedLayer layer : layers) {
            set.addAll(layer.getWeightQuantizer().codebookParameters());
        }
        return set;
    }

    /** Writes float16 values, deflated (kind {@value #FLOAT16_DEFLATED}) when that is smaller, else plain. */
    private static void writeHalfFloats(DataOutputStream out, float[] values) throws IOException {
        byte[] planes = new byte[2 * values.length];
        for (int i = 0; i < values.length; i++) {
            short h = HalfFloat.fromFloat(values[i]);
            planes[i] = (byte) (h >> 8);
            planes[values.length + i] = (byte) h;
        }
        Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION);
        deflater.setInput(planes);
        deflater.finish();
        ByteArrayOutputStream deflated = new ByteArrayOutputStream(planes.length);
        byte[] chunk = new byte[1 << 16];
        while (!deflater.finished() && deflated.size() < planes.length) {
            deflated.write(chunk, 0, deflater.deflate(chunk));
        }
        boolean smaller = deflater.finished() && deflated.size() + 4 < planes.length;
        deflater.end();
        out.writeByte(smaller ? FLOAT16_DEFLATED : FLOAT16);
        out.writeInt(values.length);
        if (smaller) {
            out.writeInt(deflated.size());
            deflated.writeTo(out);
        } else {
            for (int i = 0; i < values.length; i++) {
                out.writeByte(planes[i]);
                out.writeByte(planes[values.length + i]);
            }
        }
    }

    private static float[] readDeflatedHalfFloats(DataInputStream in, String what) throws IOException, MalformedModelException {
        float[] values = new float[in.readInt()];
        byte[] deflated = new byte[in.readInt()];
        in.readFully(deflated);
        byte[] planes = new byte[2 * values.length];
        Inflater inflater = new Inflater();
        try {
            inflater.setInput(deflated);
            int n = 0;
            while (n < planes.length && !inflater.finished()) {
                int got = inflater.inflate(planes, n, planes.length - n);
                if (got == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    break;
                }
                n += got;
            }
            if (n != planes.length || !inflater.finished()) {
                throw new MalformedModelException(what + ": its deflated float16 data holds " + n + " of " + planes.length
                        + " bytes; write the model again.");
            }
        } catch (DataFormatException e) {
            throw new MalformedModelException(what + ": its deflated float16 data is corrupt; write the model again.", e);
        } finally {
            inflater.end();
        }
        for (int i = 0; i < values.length; i++) {
            values[i] = HalfFloat.toFloat((short) ((planes[i] << 8) | (planes[values.length + i] & 0xff)));
        }
        return values;
    }

    private static float[] readHalfFloats(DataInputStream in) throws IOException {
        float[] values = new float[in.readInt()];
        for (int i = 0; i < values.length; i++) {
            values[i] = HalfFloat.toFloat(in.readShort());
        }
        return values;
    }

    private static void writeFloats(DataOutputStream out, float[] values) throws IOException {
        out.writeInt(values.length);
        for (float v : values) {
            out.writeFloat(v);
        }
    }

    private static float[] readFloats(DataInputStream in) throws IOException {
        float[] values = new float[in.readInt()];
        for (int i = 0; i < values.length; i++) {
            values[i] = in.readFloat();
        }
        return values;
    }

    private static void writeCodebook(DataOutputStream out, Codebook book) throws IOException {
        out.writeInt(book.indexBits());
        out.writeInt(book.tableRows());
        writeFloats(out, book.levels());
        writeFloats(out, book.scales());
        out.writeInt(book.rows());
        out.writeInt(book.codes().length);
        byte[] packed = BitPacking.pack(book.codes(), book.indexBits());
        out.write(packed);
    }

    private static Codebook readCodebook(DataInputStream in) throws IOException {
        int bits = in.readInt();
        int tableRows = in.readInt();
        float[] levels = readFloats(in);
        float[] scales = readFloats(in);
        int rows = in.readInt();
        int count = in.readInt();
        byte[] packed = new byte[BitPacking.packedBytes(count, bits)];
        in.readFully(packed);
        return new Codebook(levels, tableRows, scales, rows, BitPacking.unpack(packed, count, bits));
    }
}
