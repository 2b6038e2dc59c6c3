package ai.djl.quant;

import ai.djl.nn.Block;
import ai.djl.quant.nn.LayerInfo;
import java.util.Objects;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Chooses layers in a {@link QuantizationConfig} rule: by type, by parameter path, by position
 * (first/last) or by any predicate.
 *
 * <p>Selectors that name layers ({@link #path}, {@link #pathMatches}) must match at least one
 * layer, so a misspelt name fails at wrapping time instead of silently quantizing nothing.
 */
public final class LayerSelector {

    private final String description;
    private final Predicate<LayerInfo> predicate;
    private final boolean named;

    private LayerSelector(String description, Predicate<LayerInfo> predicate, boolean named) {
        this.description = description;
        this.predicate = predicate;
        this.named = named;
    }

    /**
     * Selects every quantizable layer.
     *
     * @return the selector
     */
    public static LayerSelector all() {
        return new LayerSelector("all", layer -> true, false);
    }

    /**
     * Selects layers of a type (or a subtype).
     *
     * @param type e.g. {@code Conv2d.class}
     * @return the selector
     */
    public static LayerSelector type(Class<? extends Block> type) {
        return new LayerSelector("type=" + type.getSimpleName(), l -> type.isInstance(l.block()), false);
    }

    /**
     * Selects the layer with exactly this path (child names joined by {@code /}, as listed by
     * {@link Quantization#listLayers}).
     *
     * @param path the path
     * @return the selector; it must match a layer
     */
    public static LayerSelector path(String path) {
        Objects.requireNonNull(path, "path");
        return new LayerSelector("path=" + path, l -> l.path().equals(path), true);
    }

    /**
     * Selects layers whose path matches a regular expression anywhere in the path.
     *
     * @param regex the expression, e.g. {@code "03SequentialBlock/.*"}
     * @return the selector; it must match a layer
     */
    public static LayerSelector pathMatches(String regex) {
        Pattern pattern = Pattern.compile(regex);
        return new LayerSelector("path~" + regex, l -> pattern.matcher(l.path()).find(), true);
    }

    /**
     * Selects convolutions with this kernel, e.g. {@code kernel("3x3")}.
     *
     * @param kernel the kernel size, dimensions joined by {@code x}
     * @return the selector
     */
    public static LayerSelector kernel(String kernel) {
        return new LayerSelector("kernel=" + kernel, l -> l.kernel().equals(kernel), false);
    }

    /**
     * Selects the first quantizable layer in forward order (usually the stem).
     *
     * @return the selector
     */
    public static LayerSelector first() {
        return new LayerSelector("first", LayerInfo::isFirst, false);
    }

    /**
     * Selects the last quantizable layer in forward order (usually the classifier).
     *
     * @return the selector
     */
    public static LayerSelector last() {
        return new LayerSelector("last", LayerInfo::isLast, false);
    }

    /**
     * Selects layers by any predicate.
     *
     * @param description shown in summaries and errors
     * @param predicate the test
     * @return the selector
     */
    public static LayerSelector where(String description, Predicate<LayerInfo> predicate) {
        return new LayerSelector(description, predicate, false);
    }

    /**
     * Selects layers matching both selectors.
     *
     * @param other the other selector
     * @return the conjunction
     */
    public LayerSelector and(LayerSelector other) {
        return new LayerSelector(
                "(" + description + " and " + other.description + ")",
                predicate.and(other.predicate),
                named || other.named);
    }

    /**
     * Selects layers matching either selector.
     *
     * @param other the other selector
     * @return the disjunction
     */
    public LayerSelector or(LayerSelector other) {
        return new LayerSelector(
                "(" + description + " or " + other.description + ")",
                predicate.or(other.predicate),
                named || other.named);
    }

    /**
     * Selects layers not matching this selector.
     *
     * @return the negation
     */
    public LayerSelector negate() {
        return new LayerSelector("not " + description, predicate.negate(), false);
    }

    /**
     * Tests a layer.
     *
     * @param layer the layer
     * @return true when selected
     */
    public boolean matches(LayerInfo layer) {
        return predicate.test(layer);
    }

    /**
     * Returns whether this selector names layers and so must match at least one.
     *
     * @return true for path selectors
     */
    public boolean isNamed() {
        return named;
    }

    @Override
    public String toString() {
        return description;
    }
}
