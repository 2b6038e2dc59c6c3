package ai.djl.quant.training;

import ai.djl.metric.Metrics;
import ai.djl.training.Trainer;
import ai.djl.training.evaluator.Evaluator;
import ai.djl.training.listener.TrainingListenerAdapter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Appends one line per finished epoch to a CSV training history ({@code epoch,loss,accuracy,seconds}:
 * the epoch's mean training loss and accuracy as DJL's evaluators accumulated them, and its wall
 * time; a {@link Distillation distilled} run's loss is its task's, without the imitation term),
 * rewriting the file atomically, so that curves can be drawn after a run, resumed or not.
 */
public class EpochHistory extends TrainingListenerAdapter {

    /** The CSV header. */
    public static final String HEADER = "epoch,loss,accuracy,seconds";

    private final Path file;
    private int epoch;
    private long start = System.nanoTime();

    /**
     * Creates the listener.
     *
     * @param file the CSV file (created when missing)
     * @param completedEpochs epochs already done (the next line is numbered one more)
     */
    public EpochHistory(Path file, int completedEpochs) {
        this.file = file;
        this.epoch = completedEpochs;
    }

    @Override
    public void onTrainingBegin(Trainer trainer) {
        if (trainer.getMetrics() == null) {
            trainer.setMetrics(new Metrics());
        }
        start = System.nanoTime();
    }

    @Override
    public void onEpoch(Trainer trainer) {
        epoch++;
        Metrics metrics = trainer.getMetrics();
        // distilled training: the task's loss, comparable with undistilled runs, not L_task + w·L_imitation
        String lossName = trainer.getEvaluators().stream()
                .filter(e -> e instanceof Distillation.TaskLoss)
                .map(Evaluator::getName)
                .findFirst()
                .orElse(trainer.getLoss().getName());
        double loss = latest(metrics, "train_epoch_" + lossName);
        double accuracy = latest(metrics, "train_epoch_Accuracy");
        double seconds = (System.nanoTime() - start) / 1e9;
        start = System.nanoTime();
        try {
            List<String> lines = new ArrayList<>();
            if (Files.exists(file)) {
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    // a resumed run rewrites the epochs it repeats
                    if (line.equals(HEADER) || Integer.parseInt(line.split(",")[0]) < epoch) {
                        lines.add(line);
                    }
                }
            } else {
                lines.add(HEADER);
            }
            lines.add(String.format(Locale.ROOT, "%d,%.6f,%.6f,%.1f", epoch, loss, accuracy, seconds));
            Files.createDirectories(file.toAbsolutePath().getParent());
            Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), ".history", ".csv");
            Files.write(tmp, lines, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write the training history " + file, e);
        }
    }

    private static double latest(Metrics metrics, String name) {
        return metrics != null && metrics.hasMetric(name) ? metrics.latestMetric(name).getValue() : Double.NaN;
    }
}
