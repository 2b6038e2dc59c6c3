package ai.djl.quant.zoo;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.quant.export.PackedModel;
import ai.djl.quant.training.Checkpoints;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Where the zoo's artifacts are read from: the zoo jar's resources, or a directory with the same
 * layout ({@code <artifactId>/<variant>/card.json} and the model file), such as the output of a
 * local zoo build.
 */
public final class ZooArtifacts {

    /** The model file of every variant. */
    public static final String MODEL_FILE = "model.djlq";

    /** The card of every variant. */
    public static final String CARD_FILE = "card.json";

    /** The training history of a variant (per epoch: loss, accuracy, seconds), kept with its artifact. */
    public static final String HISTORY_FILE = "history.csv";

    private final Path directory;

    private ZooArtifacts(Path directory) {
        this.directory = directory;
    }

    /**
     * The artifacts shipped in the zoo jar.
     *
     * @return the store
     */
    public static ZooArtifacts classpath() {
        return new ZooArtifacts(null);
    }

    /**
     * Artifacts in a directory laid out as {@code <artifactId>/<variant>/}.
     *
     * @param directory the root
     * @return the store
     */
    public static ZooArtifacts directory(Path directory) {
        return new ZooArtifacts(directory);
    }

    /**
     * Reads the card of a variant, if the variant was built.
     *
     * @param variant the variant
     * @return the card, or empty when the artifact is absent
     * @throws IOException when the card cannot be read
     */
    public Optional<ModelCard> card(ZooVariant variant) throws IOException {
        byte[] bytes = read(variant, CARD_FILE);
        return bytes == null ? Optional.empty() : Optional.of(ModelCard.fromJson(new String(bytes, StandardCharsets.UTF_8)));
    }

    /**
     * Reads the training history kept with a variant's artifact: the zoo build's {@code history.csv}
     * of its base training (fp32) or fine-tuning.
     *
     * @param variant the variant
     * @return the CSV text, or empty when the artifact has none (built before histories were kept)
     * @throws IOException when it cannot be read
     */
    public Optional<String> history(ZooVariant variant) throws IOException {
        byte[] bytes = read(variant, HISTORY_FILE);
        return bytes == null ? Optional.empty() : Optional.of(new String(bytes, StandardCharsets.UTF_8));
    }

    /**
     * Reads a variant's model file and checks it against the SHA-256 of its card.
     *
     * @param variant the variant
     * @param card its card
     * @return the file's bytes
     * @throws IOException when the file is missing or its checksum does not match
     */
    public byte[] model(ZooVariant variant, ModelCard card) throws IOException {
        byte[] bytes = read(variant, card.fileName());
        if (bytes == null) {
            throw new IOException(describe(variant, card.fileName()) + " is missing although its card exists; rebuild the zoo.");
        }
        String actual = sha256(bytes);
        if (!actual.equals(card.sha256())) {
            throw new IOException(describe(variant, card.fileName()) + " fails its checksum (sha256 " + actual
                    + ", card says " + card.sha256() + "): the file is corrupt; reinstall the zoo jar or rebuild the artifact.");
        }
        return bytes;
    }

    /**
     * A variant's model as a ready block: {@code variant.newBlock()}, initialized in {@code manager}
     * for one input of {@code variant.inputShape()}, filled from its artifact.
     *
     * @param variant the variant
     * @param manager the manager that will own the block's parameters
     * @return the block, or empty when this store has no card for the variant (not built)
     * @throws IOException when the file is missing, corrupt or fails its checksum
     * @throws MalformedModelException when the file does not fit the block
     */
    public Optional<Block> loadBlock(ZooVariant variant, NDManager manager) throws IOException, MalformedModelException {
        Optional<ModelCard> card = card(variant);
        return card.isEmpty() ? Optional.empty() : Optional.of(loadBlock(variant, card.get(), manager));
    }

    private Block loadBlock(ZooVariant variant, ModelCard card, NDManager manager) throws IOException, MalformedModelException {
        Block block = variant.newBlock();
        block.initialize(manager, DataType.FLOAT32, new Shape(1).addAll(variant.inputShape()));
        load(variant, card, block);
        return block;
    }

    /**
     * Fills a block with a variant's packed model, after the checksum check of {@link #model}.
     *
     * @param variant the variant
     * @param card its card
     * @param block the block {@code variant.newBlock()} built, initialized
     * @throws IOException when the file is missing, corrupt or fails its checksum
     * @throws MalformedModelException when the file does not fit the block
     */
    public void load(ZooVariant variant, ModelCard card, Block block) throws IOException, MalformedModelException {
        PackedModel.read(block, model(variant, card), describe(variant, card.fileName()));
    }

    /**
     * Writes an architecture's shipped fp32 model as checkpoint {@code epochs} of {@code checkpoints}
     * (with the card's training seconds), so that fine-tuning on a fresh machine starts from the
     * very base the zoo ships rather than from a retrained one. The artifact holds float16
     * parameters: the checkpoint is the shipped model exactly, not the float32 one it came from.
     *
     * @param artifactId the architecture
     * @param epochs the epochs the base must have been trained for
     * @param checkpoints where to write it
     * @return false when this store has no fp32 artifact of that architecture trained for {@code epochs}
     * @throws IOException when the artifact cannot be read or the checkpoint written
     * @throws MalformedModelException when the artifact does not fit the architecture
     */
    public boolean seedBase(String artifactId, int epochs, Checkpoints checkpoints) throws IOException, MalformedModelException {
        ZooVariant base = ZooVariant.catalogue().stream()
                .filter(v -> v.artifactId().equals(artifactId) && v.isFloat())
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no zoo architecture " + artifactId));
        Optional<ModelCard> card = card(base);
        if (card.isEmpty() || card.get().baseEpochs() != epochs) {
            return false;
        }
        try (Model model = Model.newInstance(artifactId)) {
            model.setBlock(loadBlock(base, card.get(), model.getNDManager()));
            checkpoints.save(model, epochs, card.get().trainSeconds());
        }
        System.out.printf("== %s fp32 base: taken from %s ==%n", artifactId, describe(base, MODEL_FILE));
        return true;
    }

    /**
     * Names a file of a variant as the user would find it.
     *
     * @param variant the variant
     * @param file the file name
     * @return a path or a classpath resource name
     */
    public String describe(ZooVariant variant, String file) {
        return directory == null
                ? "classpath:" + variant.resourceDirectory() + file
                : directory.resolve(variant.artifactId()).resolve(variant.name()).resolve(file).toString();
    }

    /**
     * Computes a SHA-256 as lowercase hex.
     *
     * @param bytes the data
     * @return 64 hex digits
     */
    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-256", e);
        }
    }

    private byte[] read(ZooVariant variant, String file) throws IOException {
        if (directory != null) {
            Path path = directory.resolve(variant.artifactId()).resolve(variant.name()).resolve(file);
            return Files.exists(path) ? Files.readAllBytes(path) : null;
        }
        try (InputStream in = ZooArtifacts.class.getClassLoader().getResourceAsStream(variant.resourceDirectory() + file)) {
            return in == null ? null : in.readAllBytes();
        }
    }
}
