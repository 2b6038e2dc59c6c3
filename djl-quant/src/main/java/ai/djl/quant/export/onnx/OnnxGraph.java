package ai.djl.quant.export.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An ONNX graph under construction: nodes in topological order, initializers, one input and one
 * output, encoded as an ONNX {@code ModelProto} by {@link #toModel(String, long[], String, long[])}.
 */
final class OnnxGraph {

    /** ONNX TensorProto data types. */
    static final int FLOAT = 1;
    static final int UINT8 = 2;
    static final int INT8 = 3;
    static final int INT16 = 5;
    static final int INT32 = 6;
    static final int INT64 = 7;

    /** The operator set the exporter writes (QuantizeLinear/DequantizeLinear with int16 and axis). */
    static final int OPSET = 21;

    private static final int IR_VERSION = 10;

    private final List<ProtoMessage> nodes = new ArrayList<>();
    private final List<ProtoMessage> initializers = new ArrayList<>();
    /** How many node inputs name each tensor. */
    private final Map<String, Integer> consumers = new HashMap<>();
    private int counter;

    /**
     * Returns a new unique tensor name.
     *
     * @param hint a readable stem
     * @return the name
     */
    String fresh(String hint) {
        return hint + "_" + counter++;
    }

    String floats(String hint, float[] values, long... dims) {
        return namedFloats(fresh(hint), values, dims);
    }

    String integers(String hint, int dataType, int[] values, long... dims) {
        return namedIntegers(fresh(hint), dataType, values, dims);
    }

    /** An integer initializer under a name reserved earlier with {@link #fresh(String)}. */
    String namedIntegers(String name, int dataType, int[] values, long... dims) {
        int width = dataType == INT32 ? 4 : dataType == INT16 ? 2 : 1;
        ByteBuffer buffer = ByteBuffer.allocate(width * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : values) {
            if (width == 4) {
                buffer.putInt(v);
            } else if (width == 2) {
                buffer.putShort((short) v);
            } else {
                buffer.put((byte) v);
            }
        }
        return namedTensor(name, dataType, buffer.array(), dims);
    }

    /** An initializer under a name reserved earlier with {@link #fresh(String)}. */
    String namedFloats(String name, float[] values, long... dims) {
        ByteBuffer buffer = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            buffer.putFloat(v);
        }
        return namedTensor(name, FLOAT, buffer.array(), dims);
    }

    private String namedTensor(String name, int dataType, byte[] raw, long... dims) {
        ProtoMessage t = new ProtoMessage();
        for (long d : dims) {
            t.int64(1, d);
        }
        t.int32(2, dataType).string(8, name).bytes(9, raw);
        initializers.add(t);
        return name;
    }

    /**
     * Adds a node with one output.
     *
     * @param op the operator type
     * @param hint the stem of the output name
     * @param inputs input tensor names ("" for an omitted optional input)
     * @param attributes attributes
     * @return the output name
     */
    String node(String op, String hint, List<String> inputs, Attribute... attributes) {
        return namedNode(op, fresh(hint), inputs, attributes);
    }

    /** A node whose output name was reserved earlier with {@link #fresh(String)}. */
    String namedNode(String op, String output, List<String> inputs, Attribute... attributes) {
        ProtoMessage n = new ProtoMessage();
        for (String in : inputs) {
            n.string(1, in);
            consumers.merge(in, 1, Integer::sum);
        }
        n.string(2, output).string(3, output + "_" + op).string(4, op);
        for (Attribute a : attributes) {
            n.message(5, a.encode());
        }
        nodes.add(n);
        return output;
    }

    /**
     * Returns how many node inputs so far name a tensor.
     *
     * @param name the tensor
     * @return the count, 0 for an unused tensor
     */
    int consumers(String name) {
        return consumers.getOrDefault(name, 0);
    }

    /**
     * Returns the number of nodes so far: the position of the next node.
     *
     * @return the count
     */
    int position() {
        return nodes.size();
    }

    /**
     * Runs {@code emit} and moves the nodes it adds to {@code position}, so that a value decided
     * late (a layer's weights) still precedes its consumers in topological order. Insert in
     * decreasing position so that earlier positions stay valid.
     *
     * @param position where the nodes go
     * @param emit adds the nodes
     */
    void insertAt(int position, Runnable emit) {
        int end = nodes.size();
        emit.run();
        List<ProtoMessage> added = new ArrayList<>(nodes.subList(end, nodes.size()));
        nodes.subList(end, nodes.size()).clear();
        nodes.addAll(position, added);
    }

    byte[] toModel(String input, long[] inputShape, String output, long[] outputShape) {
        ProtoMessage graph = new ProtoMessage();
        nodes.forEach(n -> graph.message(1, n));
        graph.string(2, "djl-quant");
        initializers.forEach(t -> graph.message(5, t));
        graph.message(11, valueInfo(input, inputShape));
        graph.message(12, valueInfo(output, outputShape));
        return new ProtoMessage()
                .int64(1, IR_VERSION)
                .string(2, "djl-quant")
                .message(7, graph)
                .message(8, new ProtoMessage().string(1, "").int64(2, OPSET))
                .toByteArray();
    }

    /** A float tensor value with a symbolic first (batch) dimension when it is -1. */
    private static ProtoMessage valueInfo(String name, long[] shape) {
        ProtoMessage dims = new ProtoMessage();
        for (long d : shape) {
            dims.message(1, d < 0 ? new ProtoMessage().string(2, "batch") : new ProtoMessage().int64(1, d));
        }
        ProtoMessage tensorType = new ProtoMessage().int32(1, FLOAT).message(2, dims);
        return new ProtoMessage().string(1, name).message(2, new ProtoMessage().message(1, tensorType));
    }

    /** A node attribute. */
    record Attribute(String name, int type, long[] ints, float value) {

        static Attribute ints(String name, long... values) {
            return new Attribute(name, 7, values, 0);
        }

        static Attribute integer(String name, long value) {
            return new Attribute(name, 2, new long[] {value}, 0);
        }

        static Attribute real(String name, float value) {
            return new Attribute(name, 1, null, value);
        }

        ProtoMessage encode() {
            ProtoMessage a = new ProtoMessage().string(1, name);
            switch (type) {
                case 1 -> a.float32(2, value);
                case 2 -> a.int64(3, ints[0]);
                default -> {
                    for (long v : ints) {
                        a.int64(8, v);
                    }
                }
            }
            return a.int32(20, type);
        }
    }
}
