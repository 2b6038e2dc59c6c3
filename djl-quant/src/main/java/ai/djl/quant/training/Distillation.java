package ai.djl.quant.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.quant.nn.GraphConstants;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.Dataset;
import ai.djl.training.loss.Loss;
import ai.djl.translate.TranslateException;
import ai.djl.util.Progress;
import java.io.IOException;
import java.util.Iterator;
import java.util.concurrent.ExecutorService;

/**
 * Knowledge distillation for fine-tuning: a frozen teacher (for two-stage n-hot fine-tuning, the
 * model at the end of its uniform stage) labels every training batch with its own outputs, and
 * the student minimises
 *
 * <pre>
 * L = L_task(y, s) + w · L_imitation(t, s)
 * </pre>
 *
 * where {@code y} are the batch's labels, {@code s} the student's outputs and {@code t} the
 * teacher's outputs for the same (augmented) inputs, computed outside the gradient collector, so
 * that the teacher neither learns nor costs a backward pass. The teacher runs in inference mode,
 * or, with {@link Builder#optBatchStatistics(boolean)}, normalises each batch with its own
 * statistics as the student does while it trains.
 *
 * <p>The teacher's outputs travel as extra labels: {@link #label(Dataset)} appends them to each
 * batch, and {@link #loss(Loss)} splits them off again (the last {@code predictions.size()}
 * labels), so DJL's own training loop, listeners and progress bar run unchanged. Evaluators that
 * read the labels must see the task's labels only: use {@link #taskOnly(Loss)} for them.
 */
public final class Distillation {

    private final Block teacher;
    private final Loss imitation;
    private final float weight;
    private final boolean batchStatistics;

    private Distillation(Builder builder) {
        this.teacher = builder.teacher;
        this.imitation = builder.imitation;
        this.weight = builder.weight;
        this.batchStatistics = builder.batchStatistics;
    }

    /**
     * Creates a builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns w, the imitation term's weight.
     *
     * @return the weight
     */
    public float getWeight() {
        return weight;
    }

    /**
     * Returns the teacher's outputs for {@code data}: in inference mode, or in training mode when
     * it normalises with batch statistics (no gradient is recorded either way).
     *
     * @param manager the manager of the batch
     * @param data the batch's inputs
     * @return the teacher's outputs
     */
    public NDList teach(NDManager manager, NDList data) {
        return teacher.forward(new ParameterStore(manager, false), data, batchStatistics);
    }

    /**
     * Wraps a training set so that each batch's labels end with the teacher's outputs for its data.
     *
     * @param data the training set
     * @return the labelled view (the same epochs, order and batches)
     */
    public Dataset label(Dataset data) {
        return new Dataset() {
            @Override
            public Iterable<Batch> getData(NDManager manager) throws IOException, TranslateException {
                return withTeacher(data.getData(manager));
            }

            @Override
            public Iterable<Batch> getData(NDManager manager, ExecutorService executor)
                    throws IOException, TranslateException {
                return withTeacher(data.getData(manager, executor));
            }

            @Override
            public void prepare(Progress progress) throws IOException, TranslateException {
                data.prepare(progress);
            }
        };
    }

    private Iterable<Batch> withTeacher(Iterable<Batch> batches) {
        return () -> {
            Iterator<Batch> it = batches.iterator();
            return new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return it.hasNext();
                }

                @Override
                public Batch next() {
                    Batch b = it.next();
                    NDList labels = new NDList(b.getLabels()).addAll(teach(b.getManager(), b.getData()));
                    // one device: DJL does not split the batch, so it needs no batchifiers
                    return new Batch(b.getManager(), b.getData(), labels, b.getSize(), null, null, b.getProgress(),
                            b.getProgressTotal(), b.getIndices());
                }
            };
        };
    }

    /**
     * The training loss {@code L_task(y, s) + w·L_imitation(t, s)} over labels made by {@link
     * #label(Dataset)}.
     *
     * @param task the task's loss
     * @return the distillation loss, named {@code distilled}
     */
    public Loss loss(Loss task) {
        Loss taskOnly = taskOnly(task);
        return new Loss("distilled") {
            @Override
            public NDArray evaluate(NDList labels, NDList predictions) {
                NDArray taskLoss = taskOnly.evaluate(labels, predictions);
                NDArray imitate = imitation.evaluate(teacherOutputs(labels, predictions), predictions);
                return taskLoss.add(GraphConstants.mul(imitate, weight));
            }
        };
    }

    /**
     * The task's loss alone over labels made by {@link #label(Dataset)}, as an evaluator, so that
     * the progress bar and the history show the number comparable with undistilled training.
     *
     * @param task the task's loss
     * @return the view, under the task loss's name
     */
    public static Loss taskOnly(Loss task) {
        return new TaskLoss(task);
    }

    /** The task's loss over labels that end with the teacher's outputs; {@link EpochHistory} records it. */
    static final class TaskLoss extends Loss {

        private final Loss task;

        TaskLoss(Loss task) {
            super(task.getName());
            this.task = task;
        }

        @Override
        public NDArray evaluate(NDList labels, NDList predictions) {
            return task.evaluate(taskLabels(labels, predictions), predictions);
        }
    }

    /**
     * The labels before the teacher's outputs.
     *
     * @param labels the labels made by {@link #label(Dataset)}
     * @param predictions the student's outputs
     * @return the task's labels
     */
    static NDList taskLabels(NDList labels, NDList predictions) {
        return labels.subNDList(0, checkedSplit(labels, predictions));
    }

    static NDList teacherOutputs(NDList labels, NDList predictions) {
        return labels.subNDList(checkedSplit(labels, predictions));
    }

    private static int checkedSplit(NDList labels, NDList predictions) {
        int split = labels.size() - predictions.size();
        if (split < 1) {
            throw new IllegalArgumentException("Distillation: " + labels.size() + " labels for " + predictions.size()
                    + " outputs: the batches carry no teacher outputs; train on Distillation.label(dataset)");
        }
        return split;
    }

    /** The builder of {@link Distillation}. */
    public static final class Builder {

        private Block teacher;
        private Loss imitation;
        private float weight = 1f;
        private boolean batchStatistics;

        Builder() {}

        /**
         * Sets the teacher: an initialised block with the student's outputs (never trained here).
         *
         * @param teacher the teacher
         * @return this builder
         */
        public Builder setTeacher(Block teacher) {
            this.teacher = teacher;
            return this;
        }

        /**
         * Sets the imitation loss, evaluated with the teacher's outputs as its labels.
         *
         * @param imitation {@code L_imitation(t, s)}
         * @return this builder
         */
        public Builder setImitation(Loss imitation) {
            this.imitation = imitation;
            return this;
        }

        /**
         * Sets w, the imitation term's weight (1 by default).
         *
         * @param weight a finite weight ≥ 0
         * @return this builder
         */
        public Builder optWeight(float weight) {
            this.weight = weight;
            return this;
        }

        /**
         * Makes the teacher's BatchNorms normalise each batch with its own statistics (training
         * mode; off by default). For a teacher fine-tuned with quantizers, whose running
         * statistics were gathered in training mode and match its inference-mode inputs poorly
         * until re-estimated, this gives the outputs its training saw, and the student, also
         * normalising with batch statistics, differs from it only by its own weights and
         * quantizers. The teacher's running statistics then move; its weights never do.
         *
         * @param batchStatistics true for batch statistics
         * @return this builder
         */
        public Builder optBatchStatistics(boolean batchStatistics) {
            this.batchStatistics = batchStatistics;
            return this;
        }

        /**
         * Builds the distillation.
         *
         * @return the distillation
         */
        public Distillation build() {
            if (teacher == null || imitation == null) {
                throw new IllegalArgumentException("Distillation: setTeacher and setImitation are required");
            }
            if (!Float.isFinite(weight) || weight < 0) {
                throw new IllegalArgumentException("Distillation: the weight must be finite and ≥ 0, got " + weight);
            }
            return new Distillation(this);
        }
    }
}
