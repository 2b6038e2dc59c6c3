package ai.djl.quant.training;

import ai.djl.nn.norm.BatchNorm;
import java.lang.reflect.Field;

/** Reads the settings DJL's BatchNorm keeps private (builder options without getters). */
final class BatchNormFields {

    private BatchNormFields() {}

    /**
     * The momentum {@code m} of {@code running ← m·running + (1-m)·batch}.
     *
     * @param norm the BatchNorm
     * @param path its path, for the error
     * @return the momentum
     */
    static float momentum(BatchNorm norm, String path) {
        return (float) read(norm, "momentum", path);
    }

    /**
     * The channel axis (1 for NCHW), possibly negative.
     *
     * @param norm the BatchNorm
     * @param path its path, for the error
     * @return the axis
     */
    static int axis(BatchNorm norm, String path) {
        return (int) read(norm, "axis", path);
    }

    private static Object read(BatchNorm norm, String name, String path) {
        try {
            Field field = BatchNorm.class.getDeclaredField(name);
            field.setAccessible(true);
            return field.get(norm);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("cannot read the " + name + " of BatchNorm " + path
                    + " (a DJL version other than 0.36?): BatchNorm re-estimation needs it", e);
        }
    }
}
