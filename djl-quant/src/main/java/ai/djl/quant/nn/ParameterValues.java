package ai.djl.quant.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Parameter;

/**
 * Writes new values into a parameter's own memory.
 *
 * <p>DJL's {@code NDArray.set(float[])} does not copy on the PyTorch engine: it points the tensor
 * at a direct buffer that only that Java array object keeps alive, so whatever else shares the
 * tensor (a detached view, autograd, a second handle) may read memory that Java frees and reuses.
 * Here the values are copied into the storage the tensor already owns, through a detached view:
 * the parameter keeps its identity (optimizers, parameter stores), and a parameter that requires
 * gradients can be written inside a gradient collector as well as outside.
 */
public final class ParameterValues {

    private ParameterValues() {}

    /**
     * Copies {@code values} into the parameter, row-major.
     *
     * @param parameter an initialized parameter
     * @param values exactly as many values as the parameter has elements
     * @throws IllegalArgumentException when the count differs
     */
    public static void overwrite(Parameter parameter, float[] values) {
        NDArray array = parameter.getArray();
        if (values.length != array.size()) {
            throw new IllegalArgumentException("Parameter " + parameter.getName() + " has " + array.size()
                    + " elements (shape " + array.getShape() + "), got " + values.length + " values.");
        }
        try (NDArray source = array.getManager().create(values, array.getShape())) {
            copyInto(array, source);
        }
    }

    /**
     * Copies {@code values}, broadcast to the parameter's shape, into the parameter.
     *
     * @param parameter an initialized parameter
     * @param values values broadcastable to the parameter's shape
     */
    public static void overwrite(Parameter parameter, NDArray values) {
        NDArray array = parameter.getArray();
        try (NDArray broadcast = values.broadcast(array.getShape());
                NDArray source = broadcast.toType(array.getDataType(), true)) {
            copyInto(array, source);
        }
    }

    /** Copies {@code source} (the array's shape and type) into the array's storage. */
    private static void copyInto(NDArray array, NDArray source) {
        try (NDArray view = array.stopGradient()) {
            view.set(new NDIndex("..."), source);
        }
    }
}
