package ai.djl.quant.nn;

import ai.djl.nn.AbstractBaseBlock;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.BlockList;
import ai.djl.util.Pair;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Walks and rewrites a DJL block tree: finds quantizable layers and swaps them for decorators.
 *
 * <p>DJL containers ({@code SequentialBlock}, {@code ParallelBlock}, and any {@link AbstractBlock}
 * that calls its children through its child list) hold children only in {@code
 * AbstractBlock.children}, so replacing an entry there rewrites what the forward pass calls. A
 * block that also keeps a child in a field of its own would keep calling the old child; such a
 * tree is refused with the path named, never silently left half-quantized.
 */
public final class BlockTree {

    private static final Field CHILDREN;

    static {
        try {
            CHILDREN = AbstractBlock.class.getDeclaredField("children");
            CHILDREN.setAccessible(true);
        } catch (NoSuchFieldException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private BlockTree() {}

    /**
     * Finds the quantizable layers in depth-first (forward) order, not descending into layers
     * that are already quantized.
     *
     * @param root the root block
     * @return the layers with their paths
     */
    public static List<LayerInfo> findQuantizable(Block root) {
        List<Pair<String, Block>> found = new ArrayList<>();
        collect(root, "", found);
        List<LayerInfo> layers = new ArrayList<>(found.size());
        for (int i = 0; i < found.size(); i++) {
            Pair<String, Block> p = found.get(i);
            layers.add(new LayerInfo(p.getKey(), p.getValue(), i, found.size()));
        }
        return layers;
    }

    private static void collect(Block block, String path, List<Pair<String, Block>> out) {
        if (block instanceof QuantizedLayer) {
            return;
        }
        if (QuantizedLayer.supports(block)) {
            out.add(new Pair<>(path, block));
            return;
        }
        for (Pair<String, Block> child : block.getChildren()) {
            collect(child.getValue(), join(path, child.getKey()), out);
        }
    }

    /**
     * Finds the blocks of a type in depth-first order (a block before the blocks inside it).
     *
     * @param root the root block
     * @param type the type, e.g. {@code ParallelBlock.class}
     * @param <T> the type
     * @return the blocks with their paths (empty for the root)
     */
    public static <T extends Block> List<Pair<String, T>> find(Block root, Class<T> type) {
        List<Pair<String, T>> found = new ArrayList<>();
        collect(root, "", type, found);
        return found;
    }

    private static <T extends Block> void collect(Block block, String path, Class<T> type, List<Pair<String, T>> out) {
        if (type.isInstance(block)) {
            out.add(new Pair<>(path, type.cast(block)));
        }
        for (Pair<String, Block> child : block.getChildren()) {
            collect(child.getValue(), join(path, child.getKey()), type, out);
        }
    }

    /**
     * Returns a printable form of a path.
     *
     * @param path a path, empty for the root
     * @return the path, or {@code <root>}
     */
    public static String displayPath(String path) {
        return path.isEmpty() ? "<root>" : path;
    }

    /**
     * Joins a parent path and a child name.
     *
     * @param path the parent path, empty for the root
     * @param name the child name
     * @return {@code path/name}
     */
    public static String join(String path, String name) {
        return path.isEmpty() ? name : path + "/" + name;
    }

    /**
     * Refuses a tree where a block keeps one of the blocks to replace in a field of its own (so
     * its forward pass would bypass the replacement).
     *
     * @param root the root
     * @param toReplace the blocks that will be replaced, with their paths
     * @throws UnsupportedOperationException naming the block and the field
     */
    public static void checkRewritable(Block root, Map<Block, String> toReplace) {
        Map<Block, String> identity = new IdentityHashMap<>(toReplace);
        checkFields(root, "", identity);
    }

    private static void checkFields(Block block, String path, Map<Block, String> toReplace) {
        for (Class<?> c = block.getClass();
                c != null && c != AbstractBlock.class && c != AbstractBaseBlock.class;
                c = c.getSuperclass()) {
            for (Field field : c.getDeclaredFields()) {
                if (Modifier.isStatic(field.getModifiers()) || field.getType().isPrimitive()) {
                    continue;
                }
                Object value = read(field, block);
                String replaced = referencedBlock(value, toReplace);
                if (replaced != null) {
                    throw new UnsupportedOperationException(
                            "Cannot quantize "
                                    + replaced
                                    + ": block "
                                    + displayPath(path)
                                    + " ("
                                    + block.getClass().getName()
                                    + ") calls it through its field '"
                                    + field.getName()
                                    + "', which wrapping cannot rewrite. Make the block call its"
                                    + " children through getChildren(), or exclude this layer"
                                    + " with LayerRule.keepFloat(LayerSelector.path(\""
                                    + replaced
                                    + "\")).");
                }
            }
        }
        if (block instanceof QuantizedLayer) {
            return;
        }
        for (Pair<String, Block> child : block.getChildren()) {
            checkFields(child.getValue(), join(path, child.getKey()), toReplace);
        }
    }

    private static String referencedBlock(Object value, Map<Block, String> toReplace) {
        if (value instanceof Block b) {
            return toReplace.get(b);
        }
        if (value instanceof BlockList) {
            return null; // the child list itself is what wrapping rewrites
        }
        if (value instanceof Collection<?> collection) {
            for (Object o : collection) {
                String found = referencedBlock(o, toReplace);
                if (found != null) {
                    return found;
                }
            }
        } else if (value instanceof Map<?, ?> map) {
            return referencedBlock(map.values(), toReplace);
        } else if (value instanceof Object[] array) {
            return referencedBlock(List.of(array), toReplace);
        }
        return null;
    }

    private static Object read(Field field, Object target) {
        try {
            field.setAccessible(true);
            return field.get(target);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // A field we may not read (a JDK-internal type) cannot hold a DJL block.
            return null;
        }
    }

    /**
     * Replaces the child at {@code path} (relative to {@code root}) with {@code replacement}.
     *
     * @param root the root block
     * @param path the child's path, not empty
     * @param replacement the new block
     * @throws UnsupportedOperationException when the parent is not an {@link AbstractBlock}
     */
    public static void replace(Block root, String path, Block replacement) {
        int slash = path.lastIndexOf('/');
        String parentPath = slash < 0 ? "" : path.substring(0, slash);
        String name = path.substring(slash + 1);
        Block parent = resolve(root, parentPath);
        if (!(parent instanceof AbstractBlock)) {
            throw new UnsupportedOperationException(
                    "Cannot quantize "
                            + path
                            + ": its parent "
                            + parent.getClass().getName()
                            + " is not an AbstractBlock, so its children cannot be replaced.");
        }
        BlockList children = childList((AbstractBlock) parent);
        int index = children.indexOf(name);
        children.remove(index);
        children.add(index, name, replacement);
    }

    /**
     * Finds the block at a path.
     *
     * @param root the root
     * @param path the path, empty for the root
     * @return the block
     * @throws IllegalArgumentException when no block has that path
     */
    public static Block resolve(Block root, String path) {
        Block block = root;
        if (path.isEmpty()) {
            return block;
        }
        for (String name : path.split("/")) {
            Block next = block.getChildren().get(name);
            if (next == null) {
                throw new IllegalArgumentException("No block at path " + path + " (at " + name + ")");
            }
            block = next;
        }
        return block;
    }

    private static BlockList childList(AbstractBlock block) {
        try {
            return (BlockList) CHILDREN.get(block);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("Cannot access the children of " + block, e);
        }
    }
}
