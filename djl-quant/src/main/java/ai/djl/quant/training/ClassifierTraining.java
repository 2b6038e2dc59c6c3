package ai.djl.quant.training;

import ai.djl.Model;
import ai.djl.metric.Metrics;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Dataset;
import ai.djl.training.evaluator.Accuracy;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.CosineTracker;
import ai.djl.translate.TranslateException;
import java.io.IOException;

/**
 * Classification training as every djl-quant recipe, example and benchmark does it: softmax
 * cross-entropy, top-1 accuracy, DJL's logging listener (with its progress bar) plus any extra
 * listener (a λ schedule, a checkpoint writer).
 */
public final class ClassifierTraining {

    private ClassifierTraining() {}

    /**
     * SGD with momentum 0.9 and a cosine learning rate from {@code lr} to 0 over
     * {@code steps} updates: the optimizer of the reference runs.
     *
     * @param lr the initial learning rate
     * @param weightDecay the weight decay
     * @param steps the number of updates of the whole run
     * @return the optimizer
     */
    public static Optimizer sgdCosine(float lr, float weightDecay, int steps) {
        return sgdCosine(lr, weightDecay, steps, 0);
    }

    /**
     * {@link #sgdCosine(float, float, int)} resumed after {@code doneSteps} updates.
     *
     * @param lr the initial learning rate
     * @param weightDecay the weight decay
     * @param steps the number of updates of the whole run
     * @param doneSteps updates already done (the schedule continues from there)
     * @return the optimizer
     */
    public static Optimizer sgdCosine(float lr, float weightDecay, int steps, int doneSteps) {
        return Optimizer.sgd()
                .optBeginNumUpdate(doneSteps)
                .setLearningRateTracker(
                        CosineTracker.builder()
                                .setBaseValue(lr)
                                .optFinalValue(0f)
                                .setMaxUpdates(Math.max(1, steps))
                                .build())
                .optMomentum(0.9f)
                .optWeightDecays(weightDecay)
                .build();
    }

    /**
     * SGD with momentum 0.9 and the {@link OneCycleTracker one-cycle} learning rate peaking at
     * {@code maxLr}: the optimizer of the reference fp32 runs.
     *
     * @param maxLr the peak learning rate
     * @param weightDecay the weight decay
     * @param steps the number of updates of the whole run
     * @param doneSteps updates already done (the schedule continues from there)
     * @return the optimizer
     */
    public static Optimizer sgdOneCycle(float maxLr, float weightDecay, int steps, int doneSteps) {
        return Optimizer.sgd()
                .optBeginNumUpdate(doneSteps)
                .setLearningRateTracker(new OneCycleTracker(maxLr, steps))
                .optMomentum(0.9f)
                .optWeightDecays(weightDecay)
                .build();
    }

    /**
     * Builds the training configuration.
     *
     * @param optimizer the optimizer (e.g. a {@link QuantizationOptimizer})
     * @param progress whether to log and draw the progress bar
     * @param extra more listeners
     * @return the configuration
     */
    public static DefaultTrainingConfig config(
            Optimizer optimizer, boolean progress, TrainingListener... extra) {
        DefaultTrainingConfig config =
                new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                        .optOptimizer(optimizer)
                        .addEvaluator(new Accuracy())
                        .addTrainingListeners(
                                progress
                                        ? TrainingListener.Defaults.logging()
                                        : TrainingListener.Defaults.basic());
        return config.addTrainingListeners(extra);
    }

    /**
     * Trains {@code model} for some epochs and returns the wall time.
     *
     * @param model the model (its block is initialized here if needed)
     * @param train the training set
     * @param epochs the number of epochs
     * @param config the configuration
     * @param inputShape the shape of one batch, for initialization
     * @return seconds spent
     * @throws IOException when the data cannot be read
     * @throws TranslateException when a batch cannot be produced
     */
    public static double fit(
            Model model, Dataset train, int epochs, DefaultTrainingConfig config, Shape inputShape)
            throws IOException, TranslateException {
        TensorMemory.keepFreed();
        long start = System.nanoTime();
        try (Trainer trainer = model.newTrainer(config)) {
            trainer.setMetrics(new Metrics()); // so that the logging listener prints each epoch's loss and accuracy
            trainer.initialize(inputShape);
            EasyTrain.fit(trainer, epochs, train, null);
        }
        return (System.nanoTime() - start) / 1e9;
    }
}
