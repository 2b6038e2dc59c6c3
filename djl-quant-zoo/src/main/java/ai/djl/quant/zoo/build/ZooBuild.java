package ai.djl.quant.zoo.build;

import ai.djl.Model;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.ndarray.types.Shape;
import ai.djl.quant.Quantization;
import ai.djl.quant.data.FashionMnistDataset;
import ai.djl.quant.export.CostReport;
import ai.djl.quant.export.PackedModel;
import ai.djl.quant.nn.QuantizedNetwork;
import ai.djl.quant.training.CheckpointListener;
import ai.djl.quant.training.Checkpoints;
import ai.djl.quant.training.ClassifierTraining;
import ai.djl.quant.training.EpochHistory;
import ai.djl.quant.training.FineTuning;
import ai.djl.quant.training.LambdaScheduleListener;
import ai.djl.quant.training.NHotRecipe;
import ai.djl.quant.training.ShiftRecipe;
import ai.djl.quant.zoo.ClassifierModelLoader;
import ai.djl.quant.zoo.ModelCard;
import ai.djl.quant.zoo.QuantModelZoo;
import ai.djl.quant.zoo.ZooArtifacts;
import ai.djl.quant.zoo.ZooEvaluation;
import ai.djl.quant.zoo.ZooVariant;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.optimizer.Optimizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The zoo-build command: trains every model of the zoo from scratch on Fashion-MNIST and writes its
 * artifact (packed model file + model card) into the zoo's resources.
 *
 * <ol>
 *   <li>fp32 base per architecture: 12 epochs, SGD momentum 0.9, one-cycle to 0.1, weight decay
 *       5e-4, shift + flip augmentation, batch 128 (the reference recipe of the anchors);
 *   <li>each quantized variant: 3 epochs of quantization-aware fine-tuning from the base, cosine
 *       from 0.01, weight decay 1e-4 (n-hot: 2 uniform + 1 n-hot epochs; shift: the λ schedule
 *       compressed into the 3 epochs);
 *   <li>export: the packed file (float16 for the fp32 base, integer codes for quantized weights),
 *       then the card, whose accuracy is measured by loading the file through a DJL Criteria and
 *       classifying the full 10k test set as a user would.
 * </ol>
 *
 * <p>Every epoch is checkpointed under the work directory and every finished artifact is kept, so a
 * killed build resumes where it stopped. Arguments: {@code [workDir=runs/zoo]
 * [outDir=djl-quant-zoo/src/main/resources/ai/djl/quant/zoo] [only=all|<arch>|<arch>/<variant>,...]}.
 */
public final class ZooBuild {

    /** The command line that rebuilds the zoo, written into every card. */
    public static final String COMMAND = "dev/install-data.sh && mvn -B -q install -DskipTests && mvn -B -q -pl djl-quant-zoo exec:java";

    static final int BATCH = 128;
    static final Shape INPUT = new Shape(BATCH, 1, 28, 28);
    static final int BASE_EPOCHS = 12;
    static final float BASE_MAX_LR = 0.1f;
    static final float BASE_WEIGHT_DECAY = 5e-4f;
    static final int FINE_TUNE_EPOCHS = 3;
    static final int NHOT_UNIFORM_EPOCHS = 2;
    static final float FINE_TUNE_LR = 0.01f;
    static final float FINE_TUNE_WEIGHT_DECAY = 1e-4f;

    private final Path work;
    private final Path out;
    private final FashionMnistDataset train;
    private final FashionMnistDataset test;

    private ZooBuild(Path work, Path out) throws IOException {
        this.work = work;
        this.out = out;
        this.train = FashionMnistDataset.trainingSet(BATCH);
        this.test = FashionMnistDataset.testSet(500);
    }

    public static void main(String[] args) throws Exception {
        Path work = Paths.get(args.length > 0 ? args[0] : "runs/zoo").toAbsolutePath();
        Path out = Paths.get(args.length > 1 ? args[1] : "djl-quant-zoo/src/main/resources/ai/djl/quant/zoo").toAbsolutePath();
        String only = args.length > 2 ? args[2] : "all";
        ZooBuild build = new ZooBuild(work, out);
        List<ModelCard> cards = new ArrayList<>();
        List<String> failed = new ArrayList<>();
        for (ZooVariant variant : ZooVariant.catalogue()) {
            String key = variant.artifactId() + "/" + variant.name();
            if ("all".equals(only) || List.of(only.split(",")).stream().anyMatch(o -> o.equals(variant.artifactId()) || o.equals(key))) {
                try {
                    cards.add(build.artifact(variant));
                } catch (Exception e) {
                    // one diverged or broken variant must not cost the others their turn
                    System.err.println("== " + key + " FAILED: " + e);
                    e.printStackTrace();
                    failed.add(key + ": " + e.getMessage());
                }
            }
        }
        System.out.println();
        System.out.println("| model | variant | top-1 % | file bytes | ideal bytes | shift-adds / image | BOPs / image | epochs | train s |");
        System.out.println("|---|---|---|---|---|---|---|---|---|");
        for (ModelCard c : cards) {
            System.out.printf(Locale.ROOT, "| %s | %s | %.2f | %d | %d | %s | %d | %d+%d | %.0f |%n", c.artifactId(), c.variant(), c.accuracy(),
                    c.fileBytes(), c.idealBytes(), c.shiftAdds() < 0 ? "—" : Long.toString(c.shiftAdds()), c.bitOperations(),
                    c.baseEpochs(), c.fineTuneEpochs(), c.trainSeconds());
        }
        if (!failed.isEmpty()) {
            System.err.println("failed variants (rerun the command to retry; finished artifacts are kept):");
            failed.forEach(f -> System.err.println("  " + f));
            System.exit(1);
        }
    }

    /**
     * Returns the variant's card, building whatever is missing: the base, the fine-tuning, the
     * packed file, the evaluation.
     */
    private ModelCard artifact(ZooVariant variant) throws Exception {
        ZooArtifacts artifacts = ZooArtifacts.directory(out);
        var existing = artifacts.card(variant);
        if (existing.isPresent()) {
            artifacts.model(variant, existing.get()); // a stale or damaged file is an error, not a silent rebuild
            System.out.printf("== %s/%s: built (%.2f %%) ==%n", variant.artifactId(), variant.name(), existing.get().accuracy());
            return existing.get();
        }
        Checkpoints base = new Checkpoints(work.resolve(variant.artifactId()).resolve("fp32"), variant.artifactId());
        trainBase(base, variant);
        Path dir = out.resolve(variant.artifactId()).resolve(variant.name());
        Files.createDirectories(dir);
        Path file = dir.resolve(ZooArtifacts.MODEL_FILE);
        double seconds;
        int fineTune;
        long idealBytes;
        long parameters = 0;
        CostReport cost;
        try (Model model = Model.newInstance(variant.artifactId())) {
            model.setBlock(variant.newFloatBlock());
            base.load(model, BASE_EPOCHS);
            if (variant.isFloat()) {
                seconds = base.seconds(BASE_EPOCHS);
                fineTune = 0;
            } else {
                Checkpoints tuned = new Checkpoints(work.resolve(variant.artifactId()).resolve(variant.name()), variant.artifactId());
                fineTune(model, variant, tuned);
                seconds = tuned.seconds(FINE_TUNE_EPOCHS);
                fineTune = FINE_TUNE_EPOCHS;
                ((QuantizedNetwork) model.getBlock()).setDeployMode(true);
            }
            PackedModel.write(model.getBlock(), file, variant.isFloat());
            idealBytes = PackedModel.idealBytes(model.getBlock(), variant.isFloat());
            cost = CostReport.of(model.getBlock());
            for (var p : model.getBlock().getParameters().values()) {
                parameters += p.getArray().size();
            }
        }
        byte[] bytes = Files.readAllBytes(file);
        ModelCard card = new ModelCard(variant.artifactId(), variant.name(), variant.quantizer(), variant.weightBits(),
                variant.activationBits(), variant.dataset(), describe(variant), Double.NaN, -1, test.size(),
                ZooArtifacts.MODEL_FILE, bytes.length, idealBytes, ZooArtifacts.sha256(bytes), parameters,
                cost.macs(), cost.bitOperations(), variant.isFloat() ? -1 : cost.shiftAdds(), BASE_EPOCHS, fineTune, seconds, COMMAND);
        // the accuracy is measured through the user's path: Criteria -> loader -> translator -> predictor
        Path staging = Files.createTempDirectory(work, ".card-");
        Path stagedDir = staging.resolve(variant.artifactId()).resolve(variant.name());
        Files.createDirectories(stagedDir);
        Files.copy(file, stagedDir.resolve(ZooArtifacts.MODEL_FILE));
        Files.writeString(stagedDir.resolve(ZooArtifacts.CARD_FILE), card.toJson());
        long correct = evaluate(variant, staging);
        card = new ModelCard(card.artifactId(), card.variant(), card.quantizer(), card.weightBits(), card.activationBits(), card.dataset(),
                card.quantizers(), 100.0 * correct / test.size(), correct, test.size(), card.fileName(), card.fileBytes(), card.idealBytes(),
                card.sha256(), card.parameters(), card.macs(), card.bitOperations(), card.shiftAdds(), card.baseEpochs(),
                card.fineTuneEpochs(), card.trainSeconds(), card.command());
        writeAtomically(dir.resolve("card.md"), card.toMarkdown());
        writeAtomically(dir.resolve(ZooArtifacts.CARD_FILE), card.toJson()); // last: its presence marks the artifact done
        System.out.printf(Locale.ROOT, "== %s/%s: %.2f %% (%d / %d), %d bytes ==%n", variant.artifactId(), variant.name(),
                card.accuracy(), correct, test.size(), bytes.length);
        return card;
    }

    private long evaluate(ZooVariant variant, Path artifactRoot) throws Exception {
        Criteria<Image, Classifications> criteria = Criteria.builder()
                .setTypes(Image.class, Classifications.class)
                .optGroupId(QuantModelZoo.GROUP_ID)
                .optArtifactId(variant.artifactId())
                .optFilters(variant.filters())
                .optArgument(ClassifierModelLoader.ARTIFACT_DIRECTORY, artifactRoot.toString())
                .build();
        try (ZooModel<Image, Classifications> model = criteria.loadModel()) {
            return ZooEvaluation.correct(model, test);
        }
    }

    private void trainBase(Checkpoints checkpoints, ZooVariant variant) throws Exception {
        int from = checkpoints.latest().orElse(0);
        if (from >= BASE_EPOCHS) {
            return;
        }
        int steps = stepsPerEpoch();
        System.out.printf("== %s fp32 base: epochs %d..%d of %d ==%n", variant.artifactId(), from + 1, BASE_EPOCHS, BASE_EPOCHS);
        try (Model model = Model.newInstance(variant.artifactId())) {
            model.setBlock(variant.newFloatBlock());
            if (from > 0) {
                checkpoints.load(model, from);
            }
            Optimizer sgd = ClassifierTraining.sgdOneCycle(BASE_MAX_LR, BASE_WEIGHT_DECAY, BASE_EPOCHS * steps, from * steps);
            ClassifierTraining.fit(model, train, BASE_EPOCHS - from, ClassifierTraining.config(sgd, true,
                    new CheckpointListener(checkpoints, from), new EpochHistory(history(variant, "fp32"), from)), INPUT);
        }
    }

    /** Wraps the base held by {@code model} and fine-tunes it, resuming from the last checkpoint. */
    private void fineTune(Model model, ZooVariant variant, Checkpoints checkpoints) throws Exception {
        QuantizedNetwork network = Quantization.wrap(model.getBlock(), variant.trainingConfig());
        model.setBlock(network);
        int done = checkpoints.latest().orElse(0);
        boolean nhot = "nhot".equals(variant.quantizer());
        if (done > 0) {
            if (nhot && done >= NHOT_UNIFORM_EPOCHS) {
                NHotRecipe.switchToNHot(network);
            }
            checkpoints.load(model, done);
        }
        if (done >= FINE_TUNE_EPOCHS) {
            return;
        }
        System.out.printf("== %s/%s: fine-tuning epochs %d..%d of %d ==%n", variant.artifactId(), variant.name(), done + 1,
                FINE_TUNE_EPOCHS, FINE_TUNE_EPOCHS);
        if (nhot) {
            FineTuning uniform = new FineTuning(NHOT_UNIFORM_EPOCHS, FINE_TUNE_LR, FINE_TUNE_WEIGHT_DECAY);
            uniform.run(model, network, train, INPUT, true, done, new CheckpointListener(checkpoints, done),
                    new EpochHistory(history(variant, variant.name()), done));
            if (done < NHOT_UNIFORM_EPOCHS) {
                NHotRecipe.switchToNHot(network);
            }
            int after = Math.max(done, NHOT_UNIFORM_EPOCHS);
            FineTuning nHotStage = new FineTuning(FINE_TUNE_EPOCHS - NHOT_UNIFORM_EPOCHS, FINE_TUNE_LR, FINE_TUNE_WEIGHT_DECAY);
            nHotStage.run(model, network, train, INPUT, true, after - NHOT_UNIFORM_EPOCHS, new CheckpointListener(checkpoints, after),
                    new EpochHistory(history(variant, variant.name()), after));
            return;
        }
        List<TrainingListener> listeners = new ArrayList<>(List.of(new CheckpointListener(checkpoints, done),
                new EpochHistory(history(variant, variant.name()), done)));
        if ("shift".equals(variant.quantizer())) {
            listeners.add(new LambdaScheduleListener(network, ShiftRecipe.schedule(FINE_TUNE_EPOCHS), stepsPerEpoch(), done));
        }
        new FineTuning(FINE_TUNE_EPOCHS, FINE_TUNE_LR, FINE_TUNE_WEIGHT_DECAY)
                .run(model, network, train, INPUT, true, done, listeners.toArray(new TrainingListener[0]));
    }

    /** The training history of a run: {@code <work>/<arch>/<run>/history.csv}. */
    private Path history(ZooVariant variant, String run) {
        return work.resolve(variant.artifactId()).resolve(run).resolve("history.csv");
    }

    private int stepsPerEpoch() {
        return (int) ((train.size() + BATCH - 1) / BATCH);
    }

    private static String describe(ZooVariant variant) {
        return switch (variant.quantizer()) {
            case "fp32" -> "none (float model; parameters stored as float16)";
            case "uniform" -> "weights: LSQ " + variant.weightBits() + "-bit signed per channel; activations: LSQ "
                    + variant.activationBits() + "-bit unsigned per tensor";
            case "shift" -> "weights: shift quantizer ±2^-k·σ0 with " + (variant.weightBits() - 1)
                    + " shift bits (no zero) per channel, λ schedule; activations: LSQ " + variant.activationBits() + "-bit";
            case "nhot" -> "weights and activations: n-hot(" + variant.weightBits() + ",2) with learned step, after "
                    + NHOT_UNIFORM_EPOCHS + " uniform + " + (FINE_TUNE_EPOCHS - NHOT_UNIFORM_EPOCHS) + " n-hot epochs";
            case "learned" -> "weights: " + (1 << variant.weightBits()) + " learned levels per channel (Lloyd-Max init); activations: channel-balanced "
                    + variant.activationBits() + "-bit";
            default -> variant.quantizer();
        } + "; first convolution and classifier float";
    }

    private static void writeAtomically(Path file, String text) throws IOException {
        Path tmp = Files.createTempFile(file.getParent(), "." + file.getFileName(), ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
