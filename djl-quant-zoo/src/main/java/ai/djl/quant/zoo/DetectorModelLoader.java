package ai.djl.quant.zoo;

import ai.djl.Application;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.output.DetectedObjects;
import ai.djl.quant.zoo.detection.CenterNetTranslator;
import ai.djl.translate.Translator;

/**
 * Loads the object detector {@code ai.djl.quant:centernet} as an {@code Image → DetectedObjects}
 * model with the {@link CenterNetTranslator} (96×96 scenes, scores from 0.3).
 */
public class DetectorModelLoader extends ZooModelLoader {

    /** The lowest score the default translator reports. */
    public static final float THRESHOLD = 0.3f;

    /**
     * Creates the loader of one detector.
     *
     * @param artifactId {@code centernet}
     */
    public DetectorModelLoader(String artifactId) {
        super(artifactId);
    }

    @Override
    public Application getApplication() {
        return Application.CV.OBJECT_DETECTION;
    }

    @Override
    protected Class<?> inputType() {
        return Image.class;
    }

    @Override
    protected Class<?> outputType() {
        return DetectedObjects.class;
    }

    @Override
    protected Translator<?, ?> defaultTranslator() {
        return new CenterNetTranslator(ZooVariant.SCENE_SIDE, THRESHOLD);
    }
}
