package ai.djl.quant.benchmarks;

import ai.djl.Model;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.quant.data.FashionMnistDataset;
import ai.djl.quant.training.CheckpointListener;
import ai.djl.quant.training.Checkpoints;
import ai.djl.quant.training.ClassifierTraining;
import ai.djl.quant.training.EpochHistory;
import ai.djl.quant.zoo.ZooArtifacts;
import ai.djl.training.optimizer.Optimizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

/** What the long-running benchmarks share: resumable fp32 bases and cached per-variant results. */
final class BenchmarkSupport {

    static final int BATCH = 128;
    static final Shape INPUT = new Shape(BATCH, 1, 28, 28);
    /** The base-directory argument that names the zoo's shipped fp32 model. */
    static final String ZOO_BASE = "zoo";

    private BenchmarkSupport() {}

    /**
     * Returns the table rows a benchmark runs: all of them without the argument, otherwise the
     * argument's 0-based indexes, comma-separated, and always row 0 (the fp32 reference every other
     * row is compared with).
     *
     * @param args the command-line arguments
     * @param position the index of the rows argument
     * @param count the number of rows in the table
     * @return the selected rows, ascending
     * @throws IllegalArgumentException when an index is not a row of the table
     */
    static Set<Integer> rows(String[] args, int position, int count) {
        Set<Integer> rows = new TreeSet<>(Set.of(0));
        if (args.length <= position) {
            for (int i = 1; i < count; i++) {
                rows.add(i);
            }
            return rows;
        }
        for (String row : args[position].split(",")) {
            int i = Integer.parseInt(row.trim());
            if (i < 0 || i >= count) {
                throw new IllegalArgumentException("row " + i + " is not in the table; rows are 0.." + (count - 1) + ", comma-separated");
            }
            rows.add(i);
        }
        return rows;
    }

    /**
     * Returns a new model holding a fresh block.
     *
     * @param name the model name
     * @param architecture builds the block
     * @return the model
     */
    static Model newModel(String name, Supplier<Block> architecture) {
        Model model = Model.newInstance(name);
        model.setBlock(architecture.get());
        return model;
    }

    /**
     * Returns the checkpoints of a benchmark's fp32 base, ready to load: {@value #ZOO_BASE} takes
     * the zoo's shipped fp32 model of {@code arch} (written once as checkpoint {@code epochs} under
     * {@code runs/zoo-base/<arch>}; {@code epochs} must be the zoo's, 12), any other value is a
     * directory where {@link #trainBase} trains the base, resuming.
     *
     * @param dir {@value #ZOO_BASE} or a checkpoint directory
     * @param arch the architecture and model name
     * @param architecture builds the block
     * @param train the training set
     * @param epochs the epochs the base must have
     * @return the checkpoints, holding epoch {@code epochs}
     * @throws Exception when training, reading or saving fails
     */
    static Checkpoints base(String dir, String arch, Supplier<Block> architecture, FashionMnistDataset train, int epochs) throws Exception {
        if (ZOO_BASE.equals(dir)) {
            Checkpoints zoo = new Checkpoints(Paths.get("runs", "zoo-base", arch).toAbsolutePath(), arch);
            if (zoo.latest().orElse(0) != epochs && !ZooArtifacts.classpath().seedBase(arch, epochs, zoo)) {
                throw new IllegalArgumentException("the zoo ships no " + arch + " fp32 base trained for " + epochs
                        + " epochs: give the zoo's epochs (its card's baseEpochs) or a checkpoint directory");
            }
            return zoo;
        }
        Checkpoints base = new Checkpoints(Paths.get(dir).toAbsolutePath(), arch);
        trainBase(base, arch, architecture, train, epochs);
        return base;
    }

    /**
     * Trains the fp32 base for {@code epochs}, resuming from its last checkpoint (SGD momentum 0.9,
     * cosine from 0.05, weight decay 5e-4, augmentation).
     *
     * @param base the checkpoint store
     * @param name the model name
     * @param architecture builds the block
     * @param train the training set
     * @param epochs the epochs the base must have
     * @throws Exception when training or saving fails
     */
    static void trainBase(Checkpoints base, String name, Supplier<Block> architecture, FashionMnistDataset train, int epochs)
            throws Exception {
        int from = base.latest().orElse(0);
        if (from >= epochs) {
            return;
        }
        int steps = (int) ((train.size() + BATCH - 1) / BATCH);
        System.out.printf("== fp32 %s base: epochs %d..%d of %d ==%n", name, from + 1, epochs, epochs);
        try (Model model = newModel(name, architecture)) {
            if (from > 0) {
                base.load(model, from);
            }
            Optimizer sgd = ClassifierTraining.sgdCosine(0.05f, 5e-4f, epochs * steps, from * steps);
            ClassifierTraining.fit(model, train, epochs - from, ClassifierTraining.config(sgd, true, new CheckpointListener(base, from)), INPUT);
        }
    }

    /**
     * Returns the stored result line of a finished variant, or computes and stores it atomically.
     *
     * @param file the result file
     * @param compute computes the line
     * @return the line
     * @throws Exception when the computation fails
     */
    static String cached(Path file, Callable<String> compute) throws Exception {
        if (!Files.exists(file)) {
            String line = compute.call();
            Path tmp = Files.createTempFile(file.getParent(), ".result", ".txt");
            Files.writeString(tmp, line, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        }
        return Files.readString(file, StandardCharsets.UTF_8).trim();
    }

    /**
     * Returns a listener that records a variant's training history into {@code file}, starting it
     * afresh: a variant without a stored result trains from its first epoch again.
     *
     * @param file the CSV file
     * @return the listener
     * @throws IOException when an old file cannot be deleted
     */
    static EpochHistory freshHistory(Path file) throws IOException {
        Files.deleteIfExists(file);
        return new EpochHistory(file, 0);
    }

    /**
     * Returns field {@code i} of a cached result line, or a dash for a line written before the field
     * existed.
     *
     * @param fields the split line
     * @param i the index
     * @return the field
     */
    static String field(String[] fields, int i) {
        return i < fields.length ? fields[i] : "—";
    }

    /**
     * Compares an n-hot model with its uniform counterpart, from their cached result fields: score
     * difference in points, and the relative reductions of weight bytes, shift-adds (NAF digits of
     * the weights' values) and multiplier partial products (b per b-bit weight, n per n-hot one).
     *
     * @param label what is compared
     * @param nhot the n-hot fields
     * @param uniform the uniform fields
     * @param score the index of the score, in percent or as a fraction
     * @param pointsPerUnit 1 for a score in percent, 100 for a fraction (mAP)
     * @param weightBytes the index of the weight bytes
     * @param shiftAdds the index of the shift-adds
     * @param partialProducts the index of the partial products
     * @return one line
     */
    static String nHotAgainstUniform(String label, String[] nhot, String[] uniform, int score, double pointsPerUnit, int weightBytes,
            int shiftAdds, int partialProducts) {
        return String.format(Locale.ROOT, "%s: score %+.2f points, weight bytes %s, shift-adds %s, partial products %s%n", label,
                pointsPerUnit * (Double.parseDouble(nhot[score]) - Double.parseDouble(uniform[score])), change(nhot, uniform, weightBytes),
                change(nhot, uniform, shiftAdds), change(nhot, uniform, partialProducts));
    }

    /**
     * How far any shift-add count of the n-hot model's weights could fall below the uniform model's
     * shift-adds: a non-zero weight takes at least one shift, so the n-hot model's non-zero-weight
     * MACs bound its shift-adds from below, whatever the digits of its values. Empty when a cached
     * line predates the non-zero-weight field.
     *
     * @param nhotLabel the n-hot model's name
     * @param nhot the n-hot fields
     * @param uniformLabel the uniform model's name
     * @param uniform the uniform fields
     * @param shiftAdds the index of the shift-adds
     * @param nonZeroWeightMacs the index of the non-zero-weight MACs
     * @return one indented line, or nothing
     */
    static String shiftAddFloor(String nhotLabel, String[] nhot, String uniformLabel, String[] uniform, int shiftAdds, int nonZeroWeightMacs) {
        if ("—".equals(field(nhot, nonZeroWeightMacs)) || "—".equals(field(uniform, nonZeroWeightMacs))) {
            return "";
        }
        double nonZero = Double.parseDouble(nhot[nonZeroWeightMacs]);
        double uniformShiftAdds = Double.parseDouble(uniform[shiftAdds]);
        double uniformNonZero = Double.parseDouble(uniform[nonZeroWeightMacs]);
        return String.format(Locale.ROOT,
                "  %s: non-zero-weight MACs %.0f = %.1f %% of %s's shift-adds, so no shift-add count of these weights is below "
                        + "%+.1f %% against it; %s's own are %.1f %% of its shift-adds (%.2f non-zero digits per non-zero weight)%n",
                nhotLabel, nonZero, 100 * nonZero / uniformShiftAdds, uniformLabel, 100 * (nonZero / uniformShiftAdds - 1), uniformLabel,
                100 * uniformNonZero / uniformShiftAdds, uniformShiftAdds / uniformNonZero);
    }

    private static String change(String[] a, String[] b, int i) {
        String x = field(a, i);
        String y = field(b, i);
        if ("—".equals(x) || "—".equals(y)) {
            return "—";
        }
        return String.format(Locale.ROOT, "%+.1f %%", 100 * (Double.parseDouble(x) / Double.parseDouble(y) - 1));
    }
}
