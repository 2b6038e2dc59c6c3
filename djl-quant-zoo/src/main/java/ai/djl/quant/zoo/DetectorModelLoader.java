package ai.djl.quant.zoo;

import ai.djl.Application;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.output.DetectedObjects;
import ai.djl.quant.zoo.detection.CenterNetTranslator;
import ai.djl.translate.ArgumentsUtil;
import ai.djl.translate.Translator;
import java.util.Map;

/**
 * Loads the object detector {@code ai.djl.quant:centernet} as an {@code Image → DetectedObjects}
 * model with the {@link CenterNetTranslator} (96×96 scenes, scores from 0.3 unless the Criteria
 * argument {@value #THRESHOLD_ARGUMENT} says otherwise, e.g. {@link ZooEvaluation#DETECTION_THRESHOLD}
 * for COCO evaluation).
 */
public class DetectorModelLoader extends ZooModelLoader {

    /** The lowest score the default translator reports. */
    public static final float THRESHOLD = 0.3f;
    /** The Criteria argument that sets the lowest score reported, in (0, 1). */
    public static final String THRESHOLD_ARGUMENT = "threshold";

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
    protected Translator<?, ?> defaultTranslator(Map<String, ?> arguments) {
        float threshold = arguments == null ? THRESHOLD : ArgumentsUtil.floatValue(arguments, THRESHOLD_ARGUMENT, THRESHOLD);
        return translator(threshold);
    }

    /**
     * The translator this loader gives a zoo detector: for a model built outside a Criteria (e.g.
     * from a build's training checkpoint) that must detect exactly as the loaded one does.
     *
     * @param threshold the lowest score reported
     * @return a {@link CenterNetTranslator} for the zoo's scenes
     */
    public static CenterNetTranslator translator(float threshold) {
        return new CenterNetTranslator(ZooVariant.SCENE_SIDE, threshold);
    }
}
