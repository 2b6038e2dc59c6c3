package ai.djl.quant.nn;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.quant.quantizers.Quantizer;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import ai.djl.util.PairList;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * The root of a wrapped model, as returned by {@link ai.djl.quant.Quantization#wrap}: the original
 * network as its only child, plus the list of quantized layers.
 *
 * <p>It saves a manifest (each quantized layer's path and quantizers) ahead of the parameters, so
 * loading a file into a model wrapped with another configuration fails on the first mismatching
 * layer, by name, before any parameter is read.
 */
public class QuantizedNetwork extends AbstractBlock {

    private static final byte VERSION = 1;

    private final Block network;
    private final List<QuantizedLayer> layers;
    private final List<QuantizedSum> sums;

    /**
     * Creates the root over an already rewritten network.
     *
     * @param network the rewritten network
     * @param layers its quantized layers, in forward order
     * @param sums its quantized residual sums (empty unless the configuration quantizes sums)
     */
    @SuppressWarnings("this-escape")
    public QuantizedNetwork(Block network, List<QuantizedLayer> layers, List<QuantizedSum> sums) {
        super(VERSION);
        this.network = addChildBlock("network", network);
        this.layers = List.copyOf(layers);
        this.sums = List.copyOf(sums);
        if (network.isInitialized()) {
            beforeInitialize(network.getInputShapes());
        }
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        return network.forward(parameterStore, inputs, training, params);
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList data,
            NDList labels,
            PairList<String, Object> params) {
        return network.forward(parameterStore, data, labels, params);
    }

    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        network.initialize(manager, dataType, inputShapes);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return network.getOutputShapes(inputShapes);
    }

    @Override
    protected void saveMetadata(DataOutputStream os) throws IOException {
        saveInputShapes(os);
        List<Pair<String, String>> manifest = manifest();
        os.writeInt(manifest.size());
        for (Pair<String, String> entry : manifest) {
            os.writeUTF(entry.getKey());
            os.writeUTF(entry.getValue());
        }
    }

    /** Each quantized layer's path and quantizers, then each quantized sum's. */
    private List<Pair<String, String>> manifest() {
        List<Pair<String, String>> list = new ArrayList<>();
        layers.forEach(l -> list.add(new Pair<>(l.getPath(), l.describe())));
        sums.forEach(s -> list.add(new Pair<>(s.getPath(), s.describe())));
        return list;
    }

    @Override
    public void loadMetadata(byte loadVersion, DataInputStream is)
            throws IOException, MalformedModelException {
        if (loadVersion != version) {
            throw new MalformedModelException(
                    "Quantized model format version "
                            + loadVersion
                            + " is not supported by this djl-quant (expected "
                            + version
                            + ").");
        }
        readInputShapes(is);
        int count = is.readInt();
        List<Pair<String, String>> saved = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            saved.add(new Pair<>(is.readUTF(), is.readUTF()));
        }
        checkManifest(saved);
    }

    private void checkManifest(List<Pair<String, String>> saved) throws MalformedModelException {
        List<Pair<String, String>> mine = manifest();
        for (int i = 0; i < Math.max(saved.size(), mine.size()); i++) {
            Pair<String, String> file = i < saved.size() ? saved.get(i) : null;
            Pair<String, String> own = i < mine.size() ? mine.get(i) : null;
            if (file == null) {
                throw new MalformedModelException(
                        "Layer "
                                + own.getKey()
                                + " is quantized by the configuration ("
                                + own.getValue()
                                + ") but is float in the saved model.");
            }
            if (own == null || !own.getKey().equals(file.getKey())) {
                throw new MalformedModelException(
                        "Layer "
                                + file.getKey()
                                + " is quantized in the saved model ("
                                + file.getValue()
                                + ") but "
                                + (own == null
                                        ? "the configuration quantizes no layer after it."
                                        : "the configuration quantizes " + own.getKey() + " instead.")
                                + " Wrap the model with the configuration it was saved with.");
            }
            if (!own.getValue().equals(file.getValue())) {
                throw new MalformedModelException(
                        "Layer "
                                + file.getKey()
                                + " was saved as "
                                + file.getValue()
                                + " but the configuration gives "
                                + own.getValue()
                                + ". Wrap the model with the configuration it was saved with.");
            }
        }
    }

    /**
     * Returns the wrapped network.
     *
     * @return the rewritten original network
     */
    public Block getNetwork() {
        return network;
    }

    /**
     * Returns the quantized layers in forward order.
     *
     * @return the layers
     */
    public List<QuantizedLayer> getQuantizedLayers() {
        return layers;
    }

    /**
     * Returns the quantized residual sums.
     *
     * @return the sums (empty unless the configuration quantizes sums)
     */
    public List<QuantizedSum> getQuantizedSums() {
        return sums;
    }

    /**
     * Returns every quantizer of the model.
     *
     * @return the quantizers, weight before input per layer, then the sums'
     */
    public List<Quantizer> getQuantizers() {
        List<Quantizer> list = new ArrayList<>();
        for (QuantizedLayer layer : layers) {
            list.addAll(layer.getQuantizers());
        }
        for (QuantizedSum sum : sums) {
            list.addAll(sum.getQuantizers());
        }
        return Collections.unmodifiableList(list);
    }

    /**
     * Returns the trainable parameters owned by quantizers (steps, scales), which get their own
     * learning rate and no weight decay.
     *
     * @return the quantizer parameters
     */
    public List<Parameter> getQuantizerParameters() {
        List<Parameter> list = new ArrayList<>();
        for (Quantizer q : getQuantizers()) {
            for (Parameter p : q.getParameters().values()) {
                if (p.requiresGradient()) {
                    list.add(p);
                }
            }
        }
        return list;
    }

    /**
     * Switches every quantizer between training mode and deploy (hard) mode.
     *
     * @param deploy true for hard quantization, as deployed
     */
    public void setDeployMode(boolean deploy) {
        getQuantizers().forEach(q -> q.setDeployMode(deploy));
    }

    /**
     * Returns a table of the quantized layers with their quantizers and bit widths.
     *
     * @return the printable summary
     */
    public String summary() {
        StringBuilder sb = new StringBuilder();
        int width = "layer".length();
        for (QuantizedLayer layer : layers) {
            width = Math.max(width, layer.getPath().length());
        }
        String format = "%-" + width + "s  %-8s  %-4s  %-4s  %s%n";
        sb.append(String.format(Locale.ROOT, format, "layer", "type", "W", "A", "quantizers"));
        for (QuantizedLayer layer : layers) {
            Quantizer in = layer.getInputQuantizer();
            sb.append(
                    String.format(
                            Locale.ROOT,
                            format,
                            layer.getPath(),
                            layer.getLayer().getClass().getSimpleName(),
                            layer.getWeightQuantizer().getBits(),
                            in == null ? "fp32" : in.getBits(),
                            layer.describe()));
        }
        sb.append(layers.size()).append(" quantized layers");
        if (!sums.isEmpty()) {
            sb.append(", ").append(sums.size()).append(" quantized sums (").append(sums.get(0).describe()).append(')');
        }
        return sb.toString();
    }
}
