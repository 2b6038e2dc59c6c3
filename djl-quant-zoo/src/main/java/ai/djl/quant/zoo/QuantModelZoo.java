package ai.djl.quant.zoo;

import ai.djl.repository.zoo.ModelZoo;
import java.util.Set;

/**
 * The djl-quant model zoo, group {@code ai.djl.quant}: Fashion-MNIST image classifiers ({@code
 * resnet18}, {@code mobilenetv2}) in fp32 and quantized variants, shipped inside this jar.
 */
public class QuantModelZoo extends ModelZoo {

    /** The zoo's group id. */
    public static final String GROUP_ID = "ai.djl.quant";

    /** Registers a loader per architecture. */
    public QuantModelZoo() {
        for (String arch : ZooVariant.ARCHITECTURES) {
            addModel(new ClassifierModelLoader(arch));
        }
    }

    @Override
    public String getGroupId() {
        return GROUP_ID;
    }

    @Override
    public Set<String> getSupportedEngines() {
        return Set.of("PyTorch");
    }
}
