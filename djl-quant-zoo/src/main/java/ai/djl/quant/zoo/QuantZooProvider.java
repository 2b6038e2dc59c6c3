package ai.djl.quant.zoo;

import ai.djl.repository.zoo.ModelZoo;
import ai.djl.repository.zoo.ZooProvider;

/** Registers the {@link QuantModelZoo} with DJL through {@code META-INF/services}. */
public class QuantZooProvider implements ZooProvider {

    @Override
    public ModelZoo getModelZoo() {
        return new QuantModelZoo();
    }
}
