package ai.djl.quant.zoo;

import ai.djl.Application;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.translate.Translator;
import java.util.Map;

/**
 * Loads the image classifiers of one architecture ({@code ai.djl.quant:resnet18}, {@code
 * ai.djl.quant:mobilenetv2}) as {@code Image → Classifications} models with the {@link
 * FashionMnistTranslator}.
 */
public class ClassifierModelLoader extends ZooModelLoader {

    /**
     * Creates the loader of one classifier.
     *
     * @param artifactId {@code resnet18} or {@code mobilenetv2}
     */
    public ClassifierModelLoader(String artifactId) {
        super(artifactId);
    }

    @Override
    public Application getApplication() {
        return Application.CV.IMAGE_CLASSIFICATION;
    }

    @Override
    protected Class<?> inputType() {
        return Image.class;
    }

    @Override
    protected Class<?> outputType() {
        return Classifications.class;
    }

    @Override
    protected Translator<?, ?> defaultTranslator(Map<String, ?> arguments) {
        return new FashionMnistTranslator();
    }
}
