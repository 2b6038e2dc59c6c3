package ai.djl.quant.zoo.detection;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.quant.training.CheckpointListener;
import ai.djl.quant.training.Checkpoints;
import ai.djl.quant.training.ClassifierTraining;
import ai.djl.quant.zoo.cv.CenterNet;
import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.quant.data.FashionMnistScenes;
import ai.djl.quant.training.CocoEvaluator;
import ai.djl.quant.training.ResumableAdam;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.Batch;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.CosineTracker;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.util.List;

/** CenterNet training configuration and COCO evaluation on Fashion-MNIST scenes. */
public final class CenterNetTraining {

    private static final int CLASSES = 10;

    private CenterNetTraining() {}

    /**
     * The training configuration: {@link CenterNetLoss}, DJL's logging listener (progress bar) and
     * any extra listener.
     *
     * @param optimizer the optimizer
     * @param classes the number of classes
     * @param extra more listeners
     * @return the configuration
     */
    public static DefaultTrainingConfig config(Optimizer optimizer, int classes, TrainingListener... extra) {
        return new DefaultTrainingConfig(new CenterNetLoss(classes))
                .optOptimizer(optimizer)
                .addTrainingListeners(TrainingListener.Defaults.logging())
                .addTrainingListeners(extra);
    }

    /**
     * The optimizer of CenterNet training from scratch: Adam, learning rate cosine from 2e-3 to
     * 1e-5, weight decay 1e-5; its moments are saved with each checkpoint ({@link ResumableAdam}).
     *
     * @param steps the updates of the whole run
     * @param doneSteps updates already done (a resumed run)
     * @return the optimizer
     */
    public static ResumableAdam adamCosine(int steps, int doneSteps) {
        return ResumableAdam.builder()
                .optBeginNumUpdate(doneSteps)
                .optLearningRateTracker(CosineTracker.builder().setBaseValue(2e-3f).optFinalValue(1e-5f).setMaxUpdates(steps).build())
                .optWeightDecays(1e-5f)
                .build();
    }

    /**
     * Trains a CenterNet from scratch with {@link #adamCosine}, checkpointing every epoch (model,
     * time and Adam's moments), resuming after {@code completedEpochs}: the heat-map prior is set
     * on a fresh start, Adam's moments are restored on a resume (a checkpoint written before they
     * were kept resumes with fresh moments, as it said on the console).
     *
     * @param model the model holding a CenterNet (loaded from its checkpoint when resuming)
     * @param train the training scenes
     * @param input the batch shape
     * @param epochs the epochs of the whole run
     * @param checkpoints where the epochs are saved and {@code completedEpochs} was loaded from
     * @param completedEpochs epochs done before
     * @param extra more listeners (history)
     * @return seconds spent
     * @throws IOException when the data or the optimizer state cannot be read
     * @throws TranslateException when a batch cannot be produced
     */
    public static double fitFromScratch(Model model, RandomAccessDataset train, Shape input, int epochs, Checkpoints checkpoints,
            int completedEpochs, TrainingListener... extra) throws IOException, TranslateException {
        int steps = (int) ((train.size() + input.get(0) - 1) / input.get(0));
        ResumableAdam adam = adamCosine(epochs * steps, completedEpochs * steps);
        if (completedEpochs == 0) {
            model.getBlock().initialize(model.getNDManager(), DataType.FLOAT32, input);
            CenterNet.initializeHeatmapPrior(model.getBlock());
        } else if (!checkpoints.loadOptimizer(completedEpochs, model.getBlock(), adam)) {
            System.err.printf("the checkpoint of epoch %d has no optimizer state: Adam's moments restart at zero%n", completedEpochs);
        }
        TrainingListener[] listeners = new TrainingListener[extra.length + 1];
        listeners[0] = new CheckpointListener(checkpoints, completedEpochs, adam);
        System.arraycopy(extra, 0, listeners, 1, extra.length);
        DefaultTrainingConfig config = config(adam, CLASSES, listeners);
        return ClassifierTraining.fit(model, train, epochs - completedEpochs, config, input);
    }

    /**
     * Detects every scene of a set and scores the detections against the scenes' boxes.
     *
     * @param block the detector (float or wrapped, in the mode to evaluate)
     * @param manager the manager of the model's parameters
     * @param scenes the evaluation scenes
     * @param classes the number of classes
     * @return mAP@[.5:.95], mAP@.5 and per-class AP
     * @throws IOException when the data cannot be read
     * @throws TranslateException when a batch cannot be produced
     */
    public static CocoEvaluator.Result evaluate(Block block, NDManager manager, FashionMnistScenes scenes, int classes)
            throws IOException, TranslateException {
        CocoEvaluator coco = new CocoEvaluator(classes);
        int image = 0;
        try (NDManager scope = manager.newSubManager()) {
            ParameterStore store = new ParameterStore(scope, false);
            for (Batch batch : scenes.getData(scope)) {
                try (batch) {
                    NDArray out = block.forward(store, batch.getData(), false).head();
                    int side = (int) out.getShape().get(2);
                    int per = (int) (out.getShape().size() / out.getShape().get(0));
                    float[] all = out.toFloatArray();
                    float[] labels = batch.getLabels().head().toFloatArray();
                    for (int n = 0; n < out.getShape().get(0); n++, image++) {
                        float[] one = java.util.Arrays.copyOfRange(all, n * per, (n + 1) * per);
                        List<CenterNetDecoder.Detection> found = CenterNetDecoder.decode(one, classes, side, 100, 0.01f);
                        for (CenterNetDecoder.Detection d : found) {
                            coco.add(new CocoEvaluator.Detection(image, d.label(), d.score(),
                                    new CocoEvaluator.Box(d.x(), d.y(), d.w(), d.h())));
                        }
                        for (int k = 0; k < FashionMnistScenes.MAX_OBJECTS; k++) {
                            int row = (n * FashionMnistScenes.MAX_OBJECTS + k) * 5;
                            if (labels[row] >= 0) {
                                coco.add(new CocoEvaluator.GroundTruth(image, (int) labels[row], new CocoEvaluator.Box(
                                        labels[row + 1], labels[row + 2], labels[row + 3], labels[row + 4])));
                            }
                        }
                    }
                }
            }
        }
        return coco.evaluate();
    }
}
