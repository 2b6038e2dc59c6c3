package ai.djl.quant.training;

import ai.djl.Model;
import ai.djl.ndarray.types.Shape;
import ai.djl.quant.nn.QuantizedNetwork;
import ai.djl.training.dataset.Dataset;
import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.loss.Loss;
import ai.djl.training.tracker.CosineTracker;
import ai.djl.training.tracker.Tracker;
import ai.djl.translate.TranslateException;
import java.io.IOException;

/**
 * Quantization-aware fine-tuning of a wrapped model: SGD momentum 0.9 with a cosine learning rate
 * to 0 for the model's parameters (with weight decay), and the same schedule without weight decay
 * for the quantizers' parameters.
 *
 * @param epochs the number of epochs
 * @param learningRate the initial learning rate
 * @param weightDecay the weight decay of the model's parameters
 * @param loss the training loss, or null for classification (softmax cross-entropy, with accuracy)
 * @param distillation a teacher whose outputs the model also learns to imitate, or null
 */
public record FineTuning(int epochs, float learningRate, float weightDecay, Loss loss, Distillation distillation) {

    /**
     * A fine-tuning without a teacher.
     *
     * @param epochs the number of epochs
     * @param learningRate the initial learning rate
     * @param weightDecay the weight decay of the model's parameters
     * @param loss the training loss, or null for classification (softmax cross-entropy, with accuracy)
     */
    public FineTuning(int epochs, float learningRate, float weightDecay, Loss loss) {
        this(epochs, learningRate, weightDecay, loss, null);
    }

    /**
     * A classification fine-tuning.
     *
     * @param epochs the number of epochs
     * @param learningRate the initial learning rate
     * @param weightDecay the weight decay of the model's parameters
     */
    public FineTuning(int epochs, float learningRate, float weightDecay) {
        this(epochs, learningRate, weightDecay, null, null);
    }

    /**
     * The same fine-tuning, distilled from a teacher: the loss becomes {@code L_task +
     * w·L_imitation} (see {@link Distillation}); the progress bar also shows {@code L_task} alone.
     * Classification then trains with softmax cross-entropy as its task loss, without the
     * accuracy evaluator.
     *
     * @param teach the teacher, its imitation loss and weight
     * @return a new fine-tuning
     */
    public FineTuning withDistillation(Distillation teach) {
        return new FineTuning(epochs, learningRate, weightDecay, loss, teach);
    }

    /**
     * Runs the fine-tuning; nothing happens for 0 epochs.
     *
     * @param model the model whose block is {@code network}
     * @param network the wrapped model
     * @param train the training set
     * @param input the batch shape
     * @param progress whether to show DJL's progress bar
     * @return seconds spent
     * @throws IOException when the data cannot be read
     * @throws TranslateException when a batch cannot be produced
     */
    public double run(Model model, QuantizedNetwork network, RandomAccessDataset train, Shape input, boolean progress)
            throws IOException, TranslateException {
        return run(model, network, train, input, progress, 0);
    }

    /**
     * Runs the remaining epochs of a fine-tuning that already completed {@code completedEpochs}
     * (a resumed run: the learning rates continue where they were).
     *
     * @param model the model whose block is {@code network}
     * @param network the wrapped model
     * @param train the training set
     * @param input the batch shape
     * @param progress whether to show DJL's progress bar
     * @param completedEpochs epochs done before
     * @param extra more listeners (a checkpoint writer, a λ schedule)
     * @return seconds spent
     * @throws IOException when the data cannot be read
     * @throws TranslateException when a batch cannot be produced
     */
    public double run(Model model, QuantizedNetwork network, RandomAccessDataset train, Shape input, boolean progress,
            int completedEpochs, TrainingListener... extra) throws IOException, TranslateException {
        if (epochs <= completedEpochs) {
            return 0;
        }
        int perEpoch = (int) ((train.size() + input.get(0) - 1) / input.get(0));
        int steps = epochs * perEpoch;
        int done = completedEpochs * perEpoch;
        Optimizer weights = ClassifierTraining.sgdCosine(learningRate, weightDecay, steps, done);
        Tracker cosine = CosineTracker.builder().setBaseValue(learningRate).optFinalValue(0f).setMaxUpdates(steps).build();
        Tracker resumed = update -> cosine.getNewValue(update + done);
        Optimizer optimizer = QuantizationOptimizer.of(network, weights, resumed);
        DefaultTrainingConfig config;
        Dataset data = train;
        if (loss == null && distillation == null) {
            config = ClassifierTraining.config(optimizer, progress, extra);
        } else {
            Loss task = loss == null ? Loss.softmaxCrossEntropyLoss() : loss;
            config = new DefaultTrainingConfig(distillation == null ? task : distillation.loss(task))
                    .optOptimizer(optimizer)
                    .addTrainingListeners(progress ? TrainingListener.Defaults.logging() : TrainingListener.Defaults.basic())
                    .addTrainingListeners(extra);
            if (distillation != null) {
                config.addEvaluator(Distillation.taskOnly(task));
                data = distillation.label(train);
            }
        }
        return ClassifierTraining.fit(model, data, epochs - completedEpochs, config, input);
    }
}
