package ai.djl.quant.training;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.ParameterTracker;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Adam (Kingma and Ba 2015) whose moment estimates are saved with a checkpoint and restored on
 * resume. DJL's {@code Adam} keeps them in private maps that {@code Model.save} does not write, so
 * a run resumed from a checkpoint restarted them at zero while its bias correction continued at
 * step {@code t}: the first updates after each resume were up to about {@code 0.1/sqrt(0.001) ≈ 3}
 * times too large (with {@code β1 = 0.9}, {@code β2 = 0.999}), for roughly a thousand steps. The
 * update itself is DJL's ({@code NDArrayEx.adamUpdate}, lazy, L2 weight decay):
 *
 * <pre>
 * m = β1·m + (1-β1)·g,  v = β2·v + (1-β2)·g²,  w -= lr·sqrt(1-β2^t)/(1-β1^t) · m / (sqrt(v) + ε)
 * </pre>
 *
 * <p>The state is stored per parameter under its name in the block (parameter ids are new in every
 * JVM), so it restores into a freshly built block of the same architecture.
 */
public final class ResumableAdam extends Optimizer {

    private static final String MEAN = "mean:";
    private static final String VARIANCE = "variance:";

    private final ParameterTracker learningRate;
    private final float beta1;
    private final float beta2;
    private final float epsilon;
    private final Map<String, Map<Device, NDArray>> means = new ConcurrentHashMap<>();
    private final Map<String, Map<Device, NDArray>> variances = new ConcurrentHashMap<>();

    private ResumableAdam(Builder builder) {
        super(builder);
        learningRate = builder.learningRate;
        beta1 = builder.beta1;
        beta2 = builder.beta2;
        epsilon = builder.epsilon;
    }

    /**
     * Creates a builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public void update(String parameterId, NDArray weight, NDArray grad) {
        int t = updateCount(parameterId);
        double coef1 = 1.0 - Math.pow(beta1, t);
        double coef2 = 1.0 - Math.pow(beta2, t);
        float lr = learningRate.getNewValue(parameterId, t);
        float corrected = (float) (lr * Math.sqrt(coef2) / coef1);
        float weightDecay = getWeightDecay();
        if (!Float.isFinite(corrected) || !Float.isFinite(weightDecay)) {
            throw new IllegalStateException("Adam: the learning rate (" + corrected + ") or weight decay (" + weightDecay
                    + ") of parameter " + parameterId + " is NaN or infinite at step " + t + "; check the learning-rate schedule.");
        }
        NDList inputs = new NDList(weight, grad,
                withDefaultState(means, parameterId, weight.getDevice(), k -> weight.zerosLike()),
                withDefaultState(variances, parameterId, weight.getDevice(), k -> weight.zerosLike()));
        weight.getNDArrayInternal().adamUpdate(inputs, new NDList(weight), lr, corrected, weightDecay, rescaleGrad, clipGrad,
                beta1, beta2, epsilon, true, false);
    }

    /**
     * Writes the moment estimates of {@code block}'s parameters to {@code file}, named by parameter.
     * Parameters not updated yet have none and are left out.
     *
     * @param block the block being trained
     * @param file the file to write (callers write it into a checkpoint folder that is renamed when
     *     complete)
     * @throws IOException when writing fails
     */
    public void saveState(Block block, Path file) throws IOException {
        NDList state = new NDList();
        for (Pair<String, Parameter> p : block.getParameters()) {
            Map<Device, NDArray> mean = means.get(p.getValue().getId());
            Map<Device, NDArray> variance = variances.get(p.getValue().getId());
            if (mean != null && variance != null) {
                state.add(named(mean, MEAN + p.getKey()));
                state.add(named(variance, VARIANCE + p.getKey()));
            }
        }
        try (OutputStream os = Files.newOutputStream(file)) {
            state.encode(os);
        }
    }

    private static NDArray named(Map<Device, NDArray> perDevice, String name) {
        NDArray array = perDevice.values().iterator().next();
        array.setName(name);
        return array;
    }

    /**
     * Restores moment estimates written by {@link #saveState} into this optimizer for {@code block}'s
     * parameters, which must be initialized.
     *
     * @param block the block to train, of the architecture the state was saved from
     * @param file the state file
     * @throws IOException when the file cannot be read or is not a state file
     * @throws IllegalStateException when a stored moment does not fit a parameter (another
     *     architecture), naming the parameter and the file
     */
    public void loadState(Block block, Path file) throws IOException {
        Map<String, Parameter> parameters = new HashMap<>();
        for (Pair<String, Parameter> p : block.getParameters()) {
            parameters.put(p.getKey(), p.getValue());
        }
        NDList state;
        NDManager manager = block.getParameters().valueAt(0).getArray().getManager();
        try (InputStream is = Files.newInputStream(file)) {
            state = NDList.decode(manager, is);
        } catch (RuntimeException e) {
            throw new IOException(file + " is not an optimizer state file (corrupt or truncated); delete it to resume without"
                    + " the moments, or resume from an older checkpoint.", e);
        }
        for (NDArray array : state) {
            String name = array.getName();
            boolean mean = name != null && name.startsWith(MEAN);
            String key = name == null ? null : name.substring((mean ? MEAN : VARIANCE).length());
            Parameter parameter = key == null ? null : parameters.get(key);
            if (parameter == null || !parameter.getArray().getShape().equals(array.getShape())) {
                throw new IllegalStateException(file + ": the stored moment '" + name + "' " + array.getShape()
                        + " matches no parameter of the block being trained; the state belongs to another architecture.");
            }
            NDArray weight = parameter.getArray();
            (mean ? means : variances).computeIfAbsent(parameter.getId(), k -> new ConcurrentHashMap<>())
                    .put(weight.getDevice(), array.toDevice(weight.getDevice(), false));
        }
    }

    /** The builder of {@link ResumableAdam}. */
    public static final class Builder extends OptimizerBuilder<Builder> {

        private ParameterTracker learningRate = Tracker.fixed(0.001f);
        private float beta1 = 0.9f;
        private float beta2 = 0.999f;
        private float epsilon = 1e-8f;

        Builder() {}

        @Override
        protected Builder self() {
            return this;
        }

        /**
         * Sets the learning-rate schedule (default 0.001).
         *
         * @param tracker the schedule
         * @return this builder
         */
        public Builder optLearningRateTracker(ParameterTracker tracker) {
            this.learningRate = tracker;
            return this;
        }

        /**
         * Sets the decay rates of the moment estimates (defaults 0.9 and 0.999).
         *
         * @param beta1 of the first moment
         * @param beta2 of the second moment
         * @return this builder
         */
        public Builder optBetas(float beta1, float beta2) {
            this.beta1 = beta1;
            this.beta2 = beta2;
            return this;
        }

        /**
         * Sets ε (default 1e-8).
         *
         * @param epsilon the term added to the root of the second moment
         * @return this builder
         */
        public Builder optEpsilon(float epsilon) {
            this.epsilon = epsilon;
            return this;
        }

        /**
         * Builds the optimizer.
         *
         * @return the optimizer
         */
        public ResumableAdam build() {
            return new ResumableAdam(this);
        }
    }
}
