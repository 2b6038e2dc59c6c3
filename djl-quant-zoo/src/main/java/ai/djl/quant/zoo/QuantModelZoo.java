package ai.djl.quant.zoo;

import ai.djl.repository.zoo.ModelZoo;
import java.util.Set;

/**
 * The djl-quant model zoo, group {@code ai.djl.quant}: Fashion-MNIST image classifiers ({@code
 * resnet18}, {@code mobilenetv2}) and the Fashion-MNIST-scenes detector {@code centernet}, in fp32
 * and quantized variants, shipped inside this jar.
 */
public class QuantModelZoo extends ModelZoo {

    /** The zoo's group id. */
    public static final String GROUP_ID = "ai.djl.quant";

    /** Registers a loader per architecture. */
    public QuantModelZoo() {
        for (String arch : ZooVariant.CLASSIFIERS) {
            addModel(new ClassifierModelLoader(arch));
        }
        for (String arch : ZooVariant.DETECTORS) {
            addModel(new DetectorModelLoader(arch));
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
