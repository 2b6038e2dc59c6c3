package ai.djl.quant.zoo;

import ai.djl.nn.Block;
import ai.djl.quant.Quantization;
import ai.djl.quant.QuantizationConfig;
import ai.djl.quant.quantizers.ChannelBalancedQuantizer;
import ai.djl.quant.quantizers.LearnedLevelsQuantizer;
import ai.djl.quant.quantizers.LsqQuantizer;
import ai.djl.quant.quantizers.NHotQuantizer;
import ai.djl.quant.quantizers.QuantizerSpec;
import ai.djl.quant.quantizers.ShiftQuantizer;
import ai.djl.quant.zoo.cv.CenterNet;
import ai.djl.quant.zoo.cv.MobileNetV2;
import ai.djl.quant.zoo.cv.ResNet18;
import ai.djl.repository.zoo.Criteria;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One model of the zoo: an architecture, a quantizer family and its bit widths, and the data it was
 * trained on. Its {@link #filters() filters} are what a {@code Criteria} selects it by, and {@link
 * #newBlock()} rebuilds the block its artifact loads into.
 *
 * <p>Quantizer families (first convolution and classifier always float):
 *
 * <ul>
 *   <li>{@code fp32}: the float base (stored as float16);
 *   <li>{@code uniform}: LSQ weights (signed, per channel) and activations (per tensor, unsigned
 *       after a ReLU, signed where the input may be negative);
 *   <li>{@code shift}: shift-quantized weights {@code ±2^-k·σ0} (1 sign + {@code b-1} exponent
 *       bits) and LSQ activations;
 *   <li>{@code nhot}: n-hot(b, 2) weights and activations after two-stage fine-tuning;
 *       (CenterNet keeps its heads' output convolutions float too);
 *   <li>{@code nhot-weights}: n-hot(b, 2) weights after two-stage fine-tuning, LSQ activations
 *       (the {@code uniform} family's): every weight cost of {@code nhot} without the coarse
 *       activation grid;
 *   <li>{@code learned}: learned level tables for the weights and channel-balanced activations.
 * </ul>
 *
 * @param artifactId the architecture: {@code resnet18}, {@code mobilenetv2} or {@code centernet}
 * @param quantizer the quantizer family
 * @param weightBits the weight bit width (32 for fp32)
 * @param activationBits the activation bit width (32 for fp32)
 * @param dataset the training data
 */
public record ZooVariant(String artifactId, String quantizer, int weightBits, int activationBits, String dataset) {

    /** The image classifiers of the zoo. */
    public static final List<String> CLASSIFIERS = List.of("resnet18", "mobilenetv2");

    /** The object detectors of the zoo. */
    public static final List<String> DETECTORS = List.of("centernet");

    /** Every architecture of the zoo. */
    public static final List<String> ARCHITECTURES = List.of("resnet18", "mobilenetv2", "centernet");

    /** The quantizer families, in catalogue order. */
    public static final List<String> QUANTIZERS = List.of("fp32", "uniform", "shift", "nhot", "nhot-weights", "learned");

    /** The families fine-tuned in two stages, uniform then n-hot. */
    public static final List<String> TWO_STAGE_QUANTIZERS = List.of("nhot", "nhot-weights");

    /** The quantizer families each classifier comes in (at 4 bits when quantized). */
    public static final List<String> CLASSIFIER_QUANTIZERS = List.of("fp32", "uniform", "shift", "nhot", "learned");

    /** The filter keys a Criteria may use. */
    public static final List<String> FILTER_KEYS = List.of("quantizer", "weightBits", "activationBits", "dataset");

    /** The classifiers' training set. */
    public static final String FASHION_MNIST = "fashion-mnist";

    /** The detector's training set: {@code FashionMnistScenes} with its defaults. */
    public static final String FASHION_MNIST_SCENES = "fashion-mnist-scenes";

    /** The side of the detector's scenes. */
    public static final int SCENE_SIDE = 96;

    /**
     * A variant; the architecture and the quantizer family must be the zoo's.
     *
     * @param artifactId one of {@link #ARCHITECTURES}
     * @param quantizer one of {@link #QUANTIZERS}
     * @param weightBits the weight bit width (32 for fp32)
     * @param activationBits the activation bit width (32 for fp32)
     * @param dataset the training data
     * @throws IllegalArgumentException for an unknown architecture or family
     */
    public ZooVariant {
        if (!ARCHITECTURES.contains(artifactId)) {
            throw new IllegalArgumentException("unknown zoo architecture '" + artifactId + "'; known: " + ARCHITECTURES);
        }
        if (!QUANTIZERS.contains(quantizer)) {
            throw new IllegalArgumentException("unknown zoo quantizer '" + quantizer + "'; known: " + QUANTIZERS);
        }
    }

    /**
     * Every model the zoo-build command makes: per classifier the fp32 base and the 4-bit variant
     * of each of {@link #CLASSIFIER_QUANTIZERS}; for CenterNet the fp32 base, uniform W8A8, n-hot(8,2) W+A
     * and n-hot(8,2) weights with uniform 8-bit activations.
     *
     * @return the variants, each architecture's base first
     */
    public static List<ZooVariant> catalogue() {
        List<ZooVariant> all = new ArrayList<>();
        for (String arch : CLASSIFIERS) {
            for (String q : CLASSIFIER_QUANTIZERS) {
                int bits = "fp32".equals(q) ? 32 : 4;
                all.add(new ZooVariant(arch, q, bits, bits, FASHION_MNIST));
            }
        }
        all.add(new ZooVariant("centernet", "fp32", 32, 32, FASHION_MNIST_SCENES));
        all.add(new ZooVariant("centernet", "uniform", 8, 8, FASHION_MNIST_SCENES));
        all.add(new ZooVariant("centernet", "nhot", 8, 8, FASHION_MNIST_SCENES));
        all.add(new ZooVariant("centernet", "nhot-weights", 8, 8, FASHION_MNIST_SCENES));
        return all;
    }

    /**
     * Returns whether this is an object detector (else an image classifier).
     *
     * @return true for CenterNet
     */
    public boolean isDetector() {
        return DETECTORS.contains(artifactId);
    }

    /**
     * The shape of one input image.
     *
     * @return (1, 28, 28) for classifiers, (1, 96, 96) for the detector
     */
    public ai.djl.ndarray.types.Shape inputShape() {
        int side = isDetector() ? SCENE_SIDE : 28;
        return new ai.djl.ndarray.types.Shape(1, side, side);
    }

    /**
     * Returns whether this variant is fine-tuned in two stages, uniform then n-hot ({@link
     * #TWO_STAGE_QUANTIZERS}).
     *
     * @return true when its training configuration starts in a uniform stage
     */
    public boolean isTwoStage() {
        return TWO_STAGE_QUANTIZERS.contains(quantizer);
    }

    /**
     * Returns whether this is the float base.
     *
     * @return true for fp32
     */
    public boolean isFloat() {
        return "fp32".equals(quantizer);
    }

    /**
     * The variant's name within its artifact, also its resource folder: {@code fp32} or e.g.
     * {@code shift-w4a4}.
     *
     * @return the name
     */
    public String name() {
        return isFloat() ? "fp32" : String.format(Locale.ROOT, "%s-w%da%d", quantizer, weightBits, activationBits);
    }

    /**
     * The resource folder of the artifact in the zoo jar.
     *
     * @return e.g. {@code ai/djl/quant/zoo/resnet18/shift-w4a4/}
     */
    public String resourceDirectory() {
        return "ai/djl/quant/zoo/" + artifactId + "/" + name() + "/";
    }

    /**
     * Starts a Criteria that selects exactly this variant from the {@link QuantModelZoo}; the
     * caller sets the input/output types ({@code Image → Classifications} or {@code Image →
     * DetectedObjects}) and any arguments.
     *
     * @return the builder with group, artifact and filters set
     */
    public Criteria.Builder<?, ?> criteria() {
        return Criteria.builder().optGroupId(QuantModelZoo.GROUP_ID).optArtifactId(artifactId).optFilters(filters());
    }

    /**
     * The properties a Criteria filter matches.
     *
     * @return quantizer, weightBits, activationBits, dataset
     */
    public Map<String, String> filters() {
        Map<String, String> map = new LinkedHashMap<>();
        map.put("quantizer", quantizer);
        map.put("weightBits", Integer.toString(weightBits));
        map.put("activationBits", Integer.toString(activationBits));
        map.put("dataset", dataset);
        return map;
    }

    /**
     * Returns whether every given filter matches this variant.
     *
     * @param wanted the filters of a Criteria (keys from {@link #FILTER_KEYS})
     * @return true when all match
     * @throws IllegalArgumentException for an unknown filter key
     */
    public boolean matches(Map<String, String> wanted) {
        Map<String, String> mine = filters();
        for (Map.Entry<String, String> e : wanted.entrySet()) {
            if (!mine.containsKey(e.getKey())) {
                throw new IllegalArgumentException(
                        "unknown filter '" + e.getKey() + "' for ai.djl.quant:" + artifactId + "; use " + FILTER_KEYS);
            }
            if (!mine.get(e.getKey()).equals(e.getValue())) {
                return false;
            }
        }
        return true;
    }

    /**
     * The float architecture, freshly built.
     *
     * @return the block
     */
    public Block newFloatBlock() {
        return switch (artifactId) {
            case "resnet18" -> ResNet18.builder().build();
            case "mobilenetv2" -> MobileNetV2.builder().build();
            case "centernet" -> CenterNet.builder().build();
            default -> throw new IllegalStateException(artifactId);
        };
    }

    /**
     * The block the artifact loads into: the architecture, wrapped with {@link #config()} for a
     * quantized variant (not yet initialized).
     *
     * @return the block
     */
    public Block newBlock() {
        Block block = newFloatBlock();
        return isFloat() ? block : Quantization.wrap(block, config());
    }

    /**
     * The wrapping configuration of a quantized variant, as it is after training (an n-hot model
     * in its n-hot stage).
     *
     * @return the configuration, or null for fp32
     */
    public QuantizationConfig config() {
        return config(false);
    }

    /**
     * The wrapping configuration at the start of training: an n-hot model starts in its uniform
     * stage.
     *
     * @return the configuration, or null for fp32
     */
    public QuantizationConfig trainingConfig() {
        return config(true);
    }

    private QuantizationConfig config(boolean training) {
        QuantizerSpec weights;
        QuantizerSpec activations;
        switch (quantizer) {
            case "fp32" -> {
                return null;
            }
            case "uniform" -> {
                weights = LsqQuantizer.spec(weightBits);
                activations = LsqQuantizer.spec(activationBits);
            }
            case "shift" -> {
                // uncentered: removing the per-channel means of the bases' weights costs MobileNetV2
                // all its accuracy (its depthwise kernels' mean is their low-pass part)
                weights = ShiftQuantizer.shiftSpec(weightBits - 1, false);
                activations = LsqQuantizer.spec(activationBits);
            }
            case "nhot" -> {
                weights = nHotSpec(weightBits, training);
                activations = nHotSpec(activationBits, training);
            }
            case "nhot-weights" -> {
                weights = nHotSpec(weightBits, training);
                activations = LsqQuantizer.spec(activationBits);
            }
            case "learned" -> {
                weights = LearnedLevelsQuantizer.spec(weightBits);
                activations = ChannelBalancedQuantizer.spec(activationBits, ChannelBalancedQuantizer.Objective.CHANNEL_BALANCED);
            }
            default -> throw new IllegalStateException(quantizer);
        }
        QuantizationConfig.Builder builder = QuantizationConfig.builder()
                .setWeights(weights)
                .optActivations(activations)
                .optKeepFirstFloat(true)
                .optKeepLastFloat(true);
        if (isDetector()) {
            builder.optRule(CenterNet.headOutputsFloat());
        }
        return builder.build();
    }

    /** n-hot(b, 2): two-stage (starting uniform) for training, else on the n-hot grid. */
    private static QuantizerSpec nHotSpec(int bits, boolean training) {
        return training ? NHotQuantizer.twoStageSpec(bits, 2) : NHotQuantizer.spec(bits, 2);
    }

    @Override
    public String toString() {
        return artifactId + "/" + name() + " " + filters();
    }
}
