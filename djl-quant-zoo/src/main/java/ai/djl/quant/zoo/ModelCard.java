package ai.djl.quant.zoo;

import ai.djl.util.JsonUtils;
import java.util.Locale;

/**
 * What a zoo artifact is and how it was made, written by the zoo-build command next to the model
 * file ({@code card.json}, and {@code card.md} for people). The accuracy is measured through the
 * zoo's own loading path (Criteria, translator, predictor) on the full test set, so loading the
 * artifact and classifying the same images must give exactly this number.
 *
 * @param artifactId the architecture
 * @param variant the variant name, e.g. {@code shift-w4a4}
 * @param quantizer the quantizer family
 * @param weightBits weight bits (32 for fp32)
 * @param activationBits activation bits (32 for fp32)
 * @param dataset the training data
 * @param quantizers what quantizes the weights and activations, in words
 * @param accuracy top-1 accuracy in percent on the full test set (null for detectors)
 * @param correct correctly classified test images
 * @param testImages test images
 * @param fileName the model file in the artifact folder
 * @param fileBytes its size
 * @param idealBytes the size of a perfect packing of the same values
 * @param sha256 the file's SHA-256, checked on load
 * @param parameters parameter count
 * @param macs multiply-accumulates per image
 * @param bitOperations MACs times weight bits times activation bits, per image
 * @param shiftAdds shift-add operations per image (-1 for float models)
 * @param baseEpochs epochs of fp32 training from scratch
 * @param fineTuneEpochs epochs of quantization-aware fine-tuning
 * @param trainSeconds wall time of the fine-tuning (of the base for fp32)
 * @param command the command that builds it
 * @param map mAP@[.5:.95] of a detector on its test scenes (null for classifiers)
 * @param map50 mAP@.5 of a detector (null for classifiers)
 * @param spotCheck the score on the first test images, measured in the same pass (null on cards
 *     written before it existed)
 */
public record ModelCard(
        String artifactId,
        String variant,
        String quantizer,
        int weightBits,
        int activationBits,
        String dataset,
        String quantizers,
        Double accuracy,
        long correct,
        long testImages,
        String fileName,
        long fileBytes,
        long idealBytes,
        String sha256,
        long parameters,
        long macs,
        long bitOperations,
        long shiftAdds,
        int baseEpochs,
        int fineTuneEpochs,
        double trainSeconds,
        String command,
        Double map,
        Double map50,
        SpotCheck spotCheck) {

    /**
     * The score of the first {@code items} test images (or scenes), counted in the same pass as the
     * full test set. Checking an artifact on these reproduces a part of the card in a fraction of
     * the time (the MobileNetV2 and CenterNet variants take minutes each on the full set), which is
     * what the test suite does; the full set stays the card's number.
     *
     * @param items the leading test images or scenes
     * @param correct correctly classified among them (-1 for detectors)
     * @param map mAP@[.5:.95] on them (null for classifiers)
     * @param map50 mAP@.5 on them (null for classifiers)
     */
    public record SpotCheck(long items, long correct, Double map, Double map50) {

        /**
         * A spot check; a metric that does not apply is null, never NaN (strict JSON has no NaN).
         *
         * @param items the leading test images or scenes
         * @param correct correctly classified among them (-1 for detectors)
         * @param map mAP@[.5:.95] on them (null for classifiers)
         * @param map50 mAP@.5 on them (null for classifiers)
         */
        public SpotCheck {
            map = nullIfNaN(map);
            map50 = nullIfNaN(map50);
        }
    }

    /**
     * A card; a metric that does not apply is null, never NaN: strict JSON has no NaN (older cards
     * wrote it).
     *
     * @param artifactId the architecture
     * @param variant the variant name, e.g. {@code shift-w4a4}
     * @param quantizer the quantizer family
     * @param weightBits weight bits (32 for fp32)
     * @param activationBits activation bits (32 for fp32)
     * @param dataset the training data
     * @param quantizers what quantizes the weights and activations, in words
     * @param accuracy top-1 accuracy in percent on the full test set (null for detectors)
     * @param correct correctly classified test images
     * @param testImages test images
     * @param fileName the model file in the artifact folder
     * @param fileBytes its size
     * @param idealBytes the size of a perfect packing of the same values
     * @param sha256 the file's SHA-256, checked on load
     * @param parameters parameter count
     * @param macs multiply-accumulates per image
     * @param bitOperations MACs times weight bits times activation bits, per image
     * @param shiftAdds shift-add operations per image (-1 for float models)
     * @param baseEpochs epochs of fp32 training from scratch
     * @param fineTuneEpochs epochs of quantization-aware fine-tuning
     * @param trainSeconds wall time of the fine-tuning (of the base for fp32)
     * @param command the command that builds it
     * @param map mAP@[.5:.95] of a detector on its test scenes (null for classifiers)
     * @param map50 mAP@.5 of a detector (null for classifiers)
     * @param spotCheck the score on the first test images, measured in the same pass (null on cards
     *     written before it existed)
     */
    public ModelCard {
        accuracy = nullIfNaN(accuracy);
        map = nullIfNaN(map);
        map50 = nullIfNaN(map50);
    }

    private static Double nullIfNaN(Double value) {
        return value == null || value.isNaN() ? null : value;
    }

    /**
     * This card with a classifier's score: {@code accuracy = 100 · correct / testImages}.
     *
     * @param correct correctly classified test images
     * @param spot the spot check, or null
     * @return the scored card
     */
    public ModelCard withClassifierScore(long correct, SpotCheck spot) {
        return with(100.0 * correct / testImages, correct, null, null, spot);
    }

    /**
     * This card with a detector's score.
     *
     * @param map mAP@[.5:.95] on the test scenes
     * @param map50 mAP@.5 on the test scenes
     * @param spot the spot check, or null
     * @return the scored card
     */
    public ModelCard withDetectorScore(double map, double map50, SpotCheck spot) {
        return with(null, -1, map, map50, spot);
    }

    private ModelCard with(Double accuracy, long correct, Double map, Double map50, SpotCheck spot) {
        return new ModelCard(artifactId, variant, quantizer, weightBits, activationBits, dataset, quantizers, accuracy, correct,
                testImages, fileName, fileBytes, idealBytes, sha256, parameters, macs, bitOperations, shiftAdds, baseEpochs,
                fineTuneEpochs, trainSeconds, command, map, map50, spot);
    }

    /**
     * Parses a card.
     *
     * @param json the content of {@code card.json}
     * @return the card
     */
    public static ModelCard fromJson(String json) {
        return JsonUtils.GSON.fromJson(json, ModelCard.class);
    }

    /**
     * Formats the card as JSON.
     *
     * @return the JSON text
     */
    public String toJson() {
        return JsonUtils.GSON_PRETTY.toJson(this) + "\n";
    }

    /**
     * Formats the card for people.
     *
     * @return Markdown
     */
    public String toMarkdown() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "# ai.djl.quant:%s — %s%n%n", artifactId, variant));
        sb.append(String.format(Locale.ROOT, "| property | value |%n|---|---|%n"));
        sb.append(row("quantizers", quantizers));
        sb.append(row("filters", String.format(Locale.ROOT, "quantizer=%s, weightBits=%d, activationBits=%d, dataset=%s",
                quantizer, weightBits, activationBits, dataset)));
        if (!isDetector()) {
            sb.append(row("top-1 accuracy (full test set)", String.format(Locale.ROOT, "%.2f %% (%d / %d)", accuracy, correct, testImages)));
        } else {
            sb.append(row("mAP@[.5:.95] / mAP@.5 (test scenes)", String.format(Locale.ROOT, "%.4f / %.4f (%d scenes)", map, map50, testImages)));
        }
        if (spotCheck != null) {
            sb.append(row("spot check (first test items)", isDetector()
                    ? String.format(Locale.ROOT, "%.4f / %.4f (%d scenes)", spotCheck.map(), spotCheck.map50(), spotCheck.items())
                    : String.format(Locale.ROOT, "%d / %d correct", spotCheck.correct(), spotCheck.items())));
        }
        sb.append(row("file", String.format(Locale.ROOT, "%s, %d bytes (ideal packing %d bytes, ratio %.3f)",
                fileName, fileBytes, idealBytes, (double) fileBytes / idealBytes)));
        sb.append(row("sha256", sha256));
        sb.append(row("parameters", Long.toString(parameters)));
        sb.append(row("MACs / image", Long.toString(macs)));
        sb.append(row("BOPs / image", Long.toString(bitOperations)));
        sb.append(row("shift-adds / image", shiftAdds < 0 ? "— (float)" : Long.toString(shiftAdds)));
        sb.append(row("training", String.format(Locale.ROOT, "fp32 base %d epochs from scratch%s; %.0f s",
                baseEpochs, fineTuneEpochs > 0 ? ", then " + fineTuneEpochs + " epochs quantization-aware fine-tuning" : "", trainSeconds)));
        sb.append(row("rebuild", "`" + command + "`"));
        return sb.toString();
    }

    /**
     * Returns whether this card describes a detector (scored by mAP) rather than a classifier.
     *
     * @return true for a detector
     */
    public boolean isDetector() {
        return ZooVariant.DETECTORS.contains(artifactId);
    }

    /**
     * The header of the zoo table that {@link #tableRow()} fills.
     *
     * @return two Markdown lines
     */
    public static String tableHeader() {
        return "| model | variant | top-1 % (classifier) or mAP@[.5:.95] / mAP@.5 (detector) | file bytes | ideal bytes"
                + " | shift-adds / image | BOPs / image | epochs | train s |\n|---|---|---|---|---|---|---|---|---|\n";
    }

    /**
     * One row of the zoo table.
     *
     * @return a Markdown line
     */
    public String tableRow() {
        String metric = isDetector() ? String.format(Locale.ROOT, "%.4f / %.4f", map, map50) : String.format(Locale.ROOT, "%.2f", accuracy);
        return String.format(Locale.ROOT, "| %s | %s | %s | %d | %d | %s | %d | %d+%d | %.0f |%n", artifactId, variant, metric,
                fileBytes, idealBytes, shiftAdds < 0 ? "—" : Long.toString(shiftAdds), bitOperations, baseEpochs, fineTuneEpochs,
                trainSeconds);
    }

    private static String row(String key, String value) {
        return "| " + key + " | " + value + " |\n";
    }
}
