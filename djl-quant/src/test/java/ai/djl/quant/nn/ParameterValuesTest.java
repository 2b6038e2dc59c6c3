package ai.djl.quant.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.initializer.Initializer;
import org.testng.Assert;
import org.testng.annotations.Test;

public class ParameterValuesTest {

    private static Parameter parameter(NDManager manager, Shape shape) {
        Parameter p = Parameter.builder().setName("levels").setType(Parameter.Type.OTHER).optInitializer(Initializer.ZEROS)
                .optShape(shape).build();
        p.initialize(manager, DataType.FLOAT32);
        return p;
    }

    @Test
    public void writesIntoTheStorageTheParameterAlreadyOwns() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Parameter p = parameter(manager, new Shape(2, 3));
            NDArray identity = p.getArray();
            // a view taken before the write sees the new values only if they went into the same storage
            // (DJL's set(float[]) re-points the tensor at new memory, and this view kept the zeros)
            try (NDArray alias = identity.stopGradient()) {
                ParameterValues.overwrite(p, new float[] {1, 2, 3, 4, 5, 6});
                Assert.assertEquals(alias.toFloatArray(), new float[] {1, 2, 3, 4, 5, 6});
            }
            Assert.assertSame(p.getArray(), identity);
            Assert.assertEquals(p.getArray().toFloatArray(), new float[] {1, 2, 3, 4, 5, 6});
        }
    }

    @Test
    public void writesAParameterThatRequiresGradientsInsideACollector() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Parameter p = parameter(manager, new Shape(3));
            try (GradientCollector collector = manager.getEngine().newGradientCollector()) {
                ParameterValues.overwrite(p, new float[] {1, 2, 3});
                collector.backward(p.getArray().mul(p.getArray()).sum());
            }
            Assert.assertTrue(p.getArray().hasGradient());
            Assert.assertEquals(p.getArray().getGradient().toFloatArray(), new float[] {2, 4, 6});
        }
    }

    @Test
    public void broadcastsAnArrayToTheParametersShape() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Parameter p = parameter(manager, new Shape(2, 2));
            ParameterValues.overwrite(p, manager.create(new float[] {7, 8}, new Shape(1, 2)));
            Assert.assertEquals(p.getArray().toFloatArray(), new float[] {7, 8, 7, 8});
        }
    }

    @Test
    public void refusesTheWrongNumberOfValuesNamingTheParameter() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Parameter p = parameter(manager, new Shape(2, 2));
            IllegalArgumentException e =
                    Assert.expectThrows(IllegalArgumentException.class, () -> ParameterValues.overwrite(p, new float[] {1, 2, 3}));
            Assert.assertTrue(e.getMessage().contains("levels") && e.getMessage().contains("(2, 2)"), e.getMessage());
        }
    }
}
