package ai.djl.quant.quantizers;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import org.testng.Assert;

/** Small helpers shared by the quantizer tests: set parameters, run forward and backward. */
public final class QuantizerTesting {

    private QuantizerTesting() {}

    /** Initialises {@code q} for tensors shaped like {@code x} and sets its parameter. */
    public static void init(Quantizer q, NDManager manager, NDArray x, String param, float... values) {
        q.initialize(manager, DataType.FLOAT32, x.getShape());
        if (param != null) {
            Parameter p = q.getDirectParameters().get(param);
            p.getArray().set(values);
        }
        if (param != null) {
            q.markCalibrated();
        } else {
            q.calibrateFrom(x);
        }
    }

    /** The result of one forward and backward pass. */
    public record Pass(float[] value, float[] inputGradient, float[] parameterGradient) {}

    /**
     * Runs {@code q} on {@code x} in training mode and back-propagates {@code sum(y)}, so the
     * gradients are the derivatives of the output summed per element.
     */
    public static Pass run(Quantizer q, NDManager manager, NDArray x, String param) {
        ParameterStore store = new ParameterStore(manager, false);
        x.setRequiresGradient(true);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray y = q.quantize(store, x, true);
            gc.backward(y.sum());
            float[] pg = null;
            if (param != null) {
                pg = q.getDirectParameters().get(param).getArray().getGradient().toFloatArray();
            }
            return new Pass(y.toFloatArray(), x.getGradient().toFloatArray(), pg);
        }
    }

    /**
     * Runs {@code body} with the project's native operators turned on or off ({@code
     * -Ddjl.quant.native}, read on every call), restoring the setting afterwards.
     */
    public static <T> T withNative(boolean on, java.util.function.Supplier<T> body) {
        return withProperty("djl.quant.native", Boolean.toString(on), body);
    }

    /** Runs {@code body} with a system property set to {@code value}, restoring it afterwards. */
    public static <T> T withProperty(String key, String value, java.util.function.Supplier<T> body) {
        String before = System.getProperty(key);
        System.setProperty(key, value);
        try {
            return body.get();
        } finally {
            if (before == null) {
                System.clearProperty(key);
            } else {
                System.setProperty(key, before);
            }
        }
    }

    /** Asserts two float arrays are equal within 1e-6. */
    public static void assertClose(float[] actual, float[] expected) {
        Assert.assertEquals(actual.length, expected.length, "length");
        for (int i = 0; i < actual.length; i++) {
            Assert.assertEquals(actual[i], expected[i], 1e-6f, "element " + i);
        }
    }
}
