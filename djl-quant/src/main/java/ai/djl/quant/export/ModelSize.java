package ai.djl.quant.export;

import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.quant.nn.QuantizedLayer;
import ai.djl.quant.nn.QuantizedNetwork;
import ai.djl.util.Pair;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The storage a model needs when deployed: quantized weights as indices of {@code
 * ceil(log2(levels))} bits (the bit width, or fewer for n-hot sets), every other
 * stored tensor (biases, BatchNorm statistics, scales, float layers) at 32 bits.
 *
 * <p>{@code bytes = Σ_quantized ceil(numel·bits/8) + 4·Σ_other numel}. A float model is simply
 * {@code 4·Σ numel}.
 */
public final class ModelSize {

    private ModelSize() {}

    /**
     * Returns the deployed size of an initialized model.
     *
     * @param block a float model or a {@link QuantizedNetwork}
     * @return the size in bytes
     */
    public static long bytes(Block block) {
        return bytes(block, false);
    }

    /**
     * Returns the deployed size with the float parameters at 32 or 16 bits: every quantized weight
     * at its index bits, every other parameter (biases, BatchNorm, steps, level tables) as float.
     *
     * @param block a float model or a {@link QuantizedNetwork}
     * @param halfFloats whether float parameters are stored as float16
     * @return the size in bytes
     */
    public static long bytes(Block block, boolean halfFloats) {
        Map<Parameter, Integer> quantizedBits = new IdentityHashMap<>();
        if (block instanceof QuantizedNetwork network) {
            for (QuantizedLayer layer : network.getQuantizedLayers()) {
                quantizedBits.put(layer.getWeight(), layer.getWeightQuantizer().indexBits());
            }
        }
        long total = 0;
        for (Pair<String, Parameter> pair : block.getParameters()) {
            Parameter p = pair.getValue();
            long numel = p.getArray().size();
            Integer bits = quantizedBits.get(p);
            total += bits == null ? (halfFloats ? 2 : 4) * numel : (numel * bits + 7) / 8;
        }
        return total;
    }
}
