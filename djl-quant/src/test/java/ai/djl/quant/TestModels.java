package ai.djl.quant;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import ai.djl.nn.AbstractBlock;

/** Small models for the wrapping tests. */
public final class TestModels {

    public static final Shape INPUT = new Shape(2, 1, 28, 28);

    private TestModels() {}

    /** conv-bn-relu ×2, pool, linear: 3 quantizable layers. */
    public static SequentialBlock smallCnn() {
        return new SequentialBlock()
                .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(8).optPadding(new Shape(1, 1)).build())
                .add(BatchNorm.builder().build())
                .add(Activation.reluBlock())
                .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(8).optStride(new Shape(2, 2)).optPadding(new Shape(1, 1)).build())
                .add(BatchNorm.builder().build())
                .add(Activation.reluBlock())
                .add(Pool.globalAvgPool2dBlock())
                .add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(10).build());
    }

    /**
     * conv(4)-bn-relu-conv(3)-bn on 8×8 single-channel inputs, initialised with seed {@code seed}:
     * the BatchNorms are children 1 and 4, the second fed through the first.
     */
    public static SequentialBlock twoBatchNorms(NDManager manager, int seed) {
        manager.getEngine().setRandomSeed(seed);
        SequentialBlock net = new SequentialBlock()
                .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(4).build())
                .add(BatchNorm.builder().build())
                .add(Activation::relu)
                .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(3).build())
                .add(BatchNorm.builder().build());
        net.initialize(manager, DataType.FLOAT32, new Shape(8, 1, 8, 8));
        return net;
    }

    /** Initialises a block for {@link #INPUT}. */
    public static <B extends Block> B init(B block, NDManager manager) {
        manager.getEngine().setRandomSeed(1);
        block.initialize(manager, DataType.FLOAT32, INPUT);
        return block;
    }

    /** Counts the Conv2d/Linear layers of a tree that are not inside a quantized decorator. */
    public static int countFloatLayers(Block block) {
        if (block instanceof ai.djl.quant.nn.QuantizedLayer) {
            return 0;
        }
        int n = block instanceof Conv2d || block instanceof Linear ? 1 : 0;
        for (Block child : block.getChildren().values()) {
            n += countFloatLayers(child);
        }
        return n;
    }

    /** Counts the quantized decorators of a tree. */
    public static int countQuantizedLayers(Block block) {
        int n = block instanceof ai.djl.quant.nn.QuantizedLayer ? 1 : 0;
        for (Block child : block.getChildren().values()) {
            n += countQuantizedLayers(child);
        }
        return n;
    }

    /** A custom block that runs its children through the child list: rewritable. */
    public static final class ChildListBlock extends AbstractBlock {
        public ChildListBlock() {
            addChildBlock("conv", Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(4).optPadding(new Shape(1, 1)).build());
            addChildBlock("head", new SequentialBlock().add(Pool.globalAvgPool2dBlock()).add(Linear.builder().setUnits(3).build()));
        }

        @Override
        protected NDList forwardInternal(ai.djl.training.ParameterStore ps, NDList inputs, boolean training, ai.djl.util.PairList<String, Object> params) {
            NDList x = inputs;
            for (Block child : children.values()) {
                x = child.forward(ps, x, training, params);
            }
            return x;
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            Shape[] shapes = inputShapes;
            for (Block child : children.values()) {
                child.initialize(manager, dataType, shapes);
                shapes = child.getOutputShapes(shapes);
            }
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            Shape[] shapes = inputShapes;
            for (Block child : children.values()) {
                shapes = child.getOutputShapes(shapes);
            }
            return shapes;
        }
    }

    /** A custom block that calls its one child through a field: not rewritable. */
    public static final class FieldBlock extends AbstractBlock {
        private final Block child;

        /** With a 3×3 convolution of 4 filters as the child, named "conv". */
        public FieldBlock() {
            this("conv", Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(4).build());
        }

        public FieldBlock(String name, Block child) {
            this.child = addChildBlock(name, child);
        }

        @Override
        protected NDList forwardInternal(ai.djl.training.ParameterStore ps, NDList inputs, boolean training, ai.djl.util.PairList<String, Object> params) {
            return child.forward(ps, inputs, training, params);
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            child.initialize(manager, dataType, inputShapes);
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return child.getOutputShapes(inputShapes);
        }
    }
}
