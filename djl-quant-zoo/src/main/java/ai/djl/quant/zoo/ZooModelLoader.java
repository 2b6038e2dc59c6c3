package ai.djl.quant.zoo;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.repository.MRL;
import ai.djl.repository.Repository;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelLoader;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslateException;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorFactory;
import ai.djl.util.Progress;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Loads the models of one zoo architecture from the zoo jar: picks the first built variant whose
 * {@link ZooVariant#filters() filters} match the Criteria's (fp32 when none are given), checks the
 * model file's SHA-256 against its card, rebuilds the block (wrapped for quantized variants) and
 * fills it from the packed file. The translator is the application's own unless the Criteria names
 * one.
 *
 * <p>The Criteria argument {@code artifactDirectory} reads the artifacts from a directory instead
 * (e.g. a local zoo build's output).
 */
public abstract class ZooModelLoader implements ModelLoader {

    /** The Criteria argument naming a directory to read artifacts from instead of the jar. */
    public static final String ARTIFACT_DIRECTORY = "artifactDirectory";

    private final String artifactId;

    /**
     * Creates the loader of one architecture.
     *
     * @param artifactId a zoo architecture
     */
    protected ZooModelLoader(String artifactId) {
        this.artifactId = artifactId;
    }

    /**
     * The input type this loader's translator takes.
     *
     * @return the class
     */
    protected abstract Class<?> inputType();

    /**
     * The output type this loader's translator gives.
     *
     * @return the class
     */
    protected abstract Class<?> outputType();

    /**
     * The application's translator.
     *
     * @param arguments the Criteria's arguments (may be null), e.g. a detector's {@code threshold}
     * @return a new translator
     */
    protected abstract Translator<?, ?> defaultTranslator(Map<String, ?> arguments);

    @Override
    public String getGroupId() {
        return QuantModelZoo.GROUP_ID;
    }

    @Override
    public String getArtifactId() {
        return artifactId;
    }

    @Override
    public MRL getMrl() {
        Repository jar = Repository.newInstance("djl-quant-zoo", "jar:///ai/djl/quant/zoo/" + artifactId + "/");
        return MRL.model(jar, getApplication(), getGroupId(), artifactId, "0.1.0", artifactId);
    }

    /**
     * Lists the variants built for this architecture.
     *
     * @param artifacts where to look
     * @return the variants with an artifact, in catalogue order
     * @throws IOException when a card cannot be read
     */
    public List<ZooVariant> listVariants(ZooArtifacts artifacts) throws IOException {
        List<ZooVariant> built = new ArrayList<>();
        for (ZooVariant v : ZooVariant.catalogue()) {
            if (v.artifactId().equals(artifactId) && artifacts.card(v).isPresent()) {
                built.add(v);
            }
        }
        return built;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <I, O> ZooModel<I, O> loadModel(Criteria<I, O> criteria)
            throws IOException, ModelNotFoundException, MalformedModelException {
        TranslatorFactory factory = criteria.getTranslatorFactory();
        boolean ownTypes = criteria.getInputClass() == inputType() && criteria.getOutputClass() == outputType();
        if (factory == null && !ownTypes) {
            throw new ModelNotFoundException("ai.djl.quant:" + artifactId + " translates " + inputType().getSimpleName() + " -> "
                    + outputType().getSimpleName() + ", not " + criteria.getInputClass().getSimpleName() + " -> "
                    + criteria.getOutputClass().getSimpleName() + "; set those types or give a translator.");
        }
        ZooArtifacts artifacts = artifacts(criteria.getArguments());
        ZooVariant variant = select(artifacts, criteria.getFilters());
        ModelCard card = artifacts.card(variant).orElseThrow();

        Model model = Model.newInstance(artifactId + "-" + variant.name(), criteria.getDevice());
        try {
            Block block = variant.newBlock();
            model.setBlock(block);
            block.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1).addAll(variant.inputShape()));
            artifacts.load(variant, card, block);
            model.setProperty("quantizer", variant.quantizer());
            model.setProperty("weightBits", Integer.toString(variant.weightBits()));
            model.setProperty("activationBits", Integer.toString(variant.activationBits()));
            setMetric(model, "accuracy", card.accuracy());
            setMetric(model, "map", card.map());
            setMetric(model, "map50", card.map50());
            Translator<I, O> translator =
                    factory != null
                            ? factory.newInstance(criteria.getInputClass(), criteria.getOutputClass(), model, criteria.getArguments())
                            : (Translator<I, O>) defaultTranslator(criteria.getArguments());
            return new ZooModel<>(model, translator);
        } catch (IOException | MalformedModelException | RuntimeException e) {
            model.close();
            throw e;
        } catch (TranslateException e) {
            model.close();
            throw new ModelNotFoundException("The translator of the Criteria cannot be built for " + artifactId, e);
        }
    }

    private ZooVariant select(ZooArtifacts artifacts, Map<String, String> filters) throws IOException, ModelNotFoundException {
        List<ZooVariant> built = listVariants(artifacts);
        for (ZooVariant v : built) {
            if (filters == null || v.matches(filters)) {
                return v;
            }
        }
        String available = built.isEmpty()
                ? "none is built (run the zoo-build command)"
                : built.stream().map(v -> v.filters().toString()).collect(Collectors.joining(", "));
        throw new ModelNotFoundException("No ai.djl.quant:" + artifactId + " variant matches the filters " + filters
                + "; available: " + available);
    }

    private static ZooArtifacts artifacts(Map<String, Object> arguments) {
        Object dir = arguments == null ? null : arguments.get(ARTIFACT_DIRECTORY);
        if (dir == null) {
            return ZooArtifacts.classpath();
        }
        return ZooArtifacts.directory(dir instanceof Path p ? p : Paths.get(dir.toString()));
    }

    @Override
    public <I, O> boolean isDownloaded(Criteria<I, O> criteria) {
        return true; // shipped inside the zoo jar
    }

    @Override
    public <I, O> void downloadModel(Criteria<I, O> criteria, Progress progress) {
        // nothing to download: the artifacts are in the jar
    }

    @Override
    public String toString() {
        return QuantModelZoo.GROUP_ID + ":" + artifactId;
    }

    /** A card's metric as a model property, absent where it does not apply (a detector's accuracy). */
    private static void setMetric(Model model, String key, Double value) {
        if (value != null) {
            model.setProperty(key, value.toString());
        }
    }
}
