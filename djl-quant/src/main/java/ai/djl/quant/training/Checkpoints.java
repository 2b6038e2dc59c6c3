package ai.djl.quant.training;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.nn.Block;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Per-epoch checkpoints of a model in a directory, written atomically: each is saved into a
 * temporary folder and renamed to {@code epoch-NNNN} only when complete, so a run killed at any
 * moment resumes from its last complete epoch.
 */
public final class Checkpoints {

    private static final Pattern NAME = Pattern.compile("epoch-(\\d{4})");

    private static final String SECONDS = "train-seconds.txt";
    private static final String OPTIMIZER = "optimizer-state.ndlist";

    private final Path directory;
    private final String modelName;

    /**
     * Creates the checkpoint store.
     *
     * @param directory where checkpoints live
     * @param modelName the model name used in the parameter files
     */
    public Checkpoints(Path directory, String modelName) {
        this.directory = directory;
        this.modelName = modelName;
    }

    /**
     * Saves the model as the checkpoint of {@code epoch} and removes older ones.
     *
     * @param model the model
     * @param epoch the number of completed epochs
     * @throws IOException when writing fails
     */
    public void save(Model model, int epoch) throws IOException {
        save(model, epoch, Double.NaN);
    }

    /**
     * Saves the model as the checkpoint of {@code epoch} with the training time spent so far.
     *
     * @param model the model
     * @param epoch the number of completed epochs
     * @param seconds cumulative training seconds up to this epoch (NaN when unknown)
     * @throws IOException when writing fails
     */
    public void save(Model model, int epoch, double seconds) throws IOException {
        save(model, epoch, seconds, null);
    }

    /**
     * Saves the model, the training time and the optimizer's state as the checkpoint of {@code
     * epoch}, all in one atomic rename.
     *
     * @param model the model
     * @param epoch the number of completed epochs
     * @param seconds cumulative training seconds up to this epoch (NaN when unknown)
     * @param optimizer the optimizer whose state resumes with the model, or null
     * @throws IOException when writing fails
     */
    public void save(Model model, int epoch, double seconds, ResumableAdam optimizer) throws IOException {
        Files.createDirectories(directory);
        Path target = directory.resolve(String.format("epoch-%04d", epoch));
        Path temporary = Files.createTempDirectory(directory, ".saving-");
        model.save(temporary, modelName);
        if (!Double.isNaN(seconds)) {
            Files.writeString(temporary.resolve(SECONDS), Double.toString(seconds));
        }
        if (optimizer != null) {
            optimizer.saveState(model.getBlock(), temporary.resolve(OPTIMIZER));
        }
        deleteRecursively(target);
        Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
        try (Stream<Path> old = Files.list(directory)) {
            for (Path p : (Iterable<Path>) old::iterator) {
                OptionalInt e = epochOf(p);
                if (e.isPresent() && e.getAsInt() < epoch) {
                    deleteRecursively(p);
                }
            }
        }
    }

    /**
     * Returns the last complete epoch saved.
     *
     * @return the epoch, or empty when there is none
     * @throws IOException when the directory cannot be listed
     */
    public OptionalInt latest() throws IOException {
        if (!Files.isDirectory(directory)) {
            return OptionalInt.empty();
        }
        try (Stream<Path> files = Files.list(directory)) {
            return files.map(Checkpoints::epochOf)
                    .filter(OptionalInt::isPresent)
                    .mapToInt(OptionalInt::getAsInt)
                    .max();
        }
    }

    /**
     * Loads the checkpoint of {@code epoch} into a model with the same blocks.
     *
     * @param model the model
     * @param epoch the epoch
     * @throws IOException when the files cannot be read
     * @throws MalformedModelException when they do not match the model
     */
    public void load(Model model, int epoch) throws IOException, MalformedModelException {
        model.load(directory.resolve(String.format("epoch-%04d", epoch)), modelName);
    }

    /**
     * Restores the optimizer state saved with the checkpoint of {@code epoch}, if it has one
     * (checkpoints written before optimizer states were kept have none).
     *
     * @param epoch the epoch
     * @param block the block being trained, loaded from the same checkpoint
     * @param optimizer the optimizer to restore
     * @return true when a state was restored
     * @throws IOException when the state cannot be read
     */
    public boolean loadOptimizer(int epoch, Block block, ResumableAdam optimizer) throws IOException {
        Path file = directory.resolve(String.format("epoch-%04d", epoch)).resolve(OPTIMIZER);
        if (!Files.exists(file)) {
            return false;
        }
        optimizer.loadState(block, file);
        return true;
    }

    /**
     * Returns the cumulative training seconds recorded with a checkpoint.
     *
     * @param epoch the epoch
     * @return seconds, or NaN when the checkpoint has no record
     * @throws IOException when the record cannot be read
     */
    public double seconds(int epoch) throws IOException {
        Path file = directory.resolve(String.format("epoch-%04d", epoch)).resolve(SECONDS);
        return Files.exists(file) ? Double.parseDouble(Files.readString(file).trim()) : Double.NaN;
    }

    private static OptionalInt epochOf(Path path) {
        Matcher m = NAME.matcher(path.getFileName().toString());
        return m.matches() ? OptionalInt.of(Integer.parseInt(m.group(1))) : OptionalInt.empty();
    }

    private static void deleteRecursively(Path path) throws IOException {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(path)) {
            walk.sorted(Comparator.reverseOrder())
                    .forEach(
                            p -> {
                                try {
                                    Files.delete(p);
                                } catch (IOException e) {
                                    throw new UncheckedIOException(e);
                                }
                            });
        }
    }
}
