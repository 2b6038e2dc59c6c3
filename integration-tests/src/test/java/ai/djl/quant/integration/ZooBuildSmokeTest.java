package ai.djl.quant.integration;

import ai.djl.Model;
import ai.djl.quant.nn.QuantizedNetwork;
import ai.djl.quant.quantizers.LsqQuantizer;
import ai.djl.quant.quantizers.NHotQuantizer;
import ai.djl.quant.quantizers.Quantizer;
import ai.djl.quant.quantizers.QuantizerRole;
import ai.djl.quant.training.Checkpoints;
import ai.djl.quant.zoo.ModelCard;
import ai.djl.quant.zoo.ZooArtifacts;
import ai.djl.quant.zoo.ZooVariant;
import ai.djl.quant.zoo.build.ZooBuild;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.testng.Assert;
import org.testng.annotations.Test;

/**
 * The zoo-build pipeline of the detector, in miniature (64 training scenes, a one-epoch base): the
 * base, the uniform and the two-stage n-hot fine-tuning, packing, the card and its score measured
 * through a Criteria, and the resume that finds every artifact built. It guards the hours-long
 * CenterNet build against failing at its end.
 */
public class ZooBuildSmokeTest {

    @Test
    public void theCenterNetPipelineBuildsEveryVariantAndResumes() throws Exception {
        Path root = Files.createTempDirectory("zoo-smoke");
        Path work = root.resolve("work");
        Path out = root.resolve("out");
        Assert.assertTrue(ZooBuild.build(work, out, "centernet", true), "a variant failed: see the log");
        List<ZooVariant> detectors = ZooVariant.catalogue().stream().filter(ZooVariant::isDetector).toList();
        Assert.assertEquals(detectors.size(), 4);
        ZooArtifacts built = ZooArtifacts.directory(out);
        for (ZooVariant v : detectors) {
            ModelCard card = built.card(v).orElseThrow(() -> new AssertionError(v + ": no card"));
            Assert.assertNotNull(card.map(), v + ": no mAP on the card");
            Assert.assertTrue(card.map() >= 0 && card.map() <= 1 && card.map50() >= card.map(), v + ": " + card.toJson());
            Assert.assertEquals(card.testImages(), 32);
            Assert.assertTrue(Files.exists(work.resolve("centernet").resolve(v.name()).resolve("history.csv")) || v.isFloat());
            Assert.assertTrue(card.fileBytes() <= 1.05 * card.idealBytes(), v + ": " + card.fileBytes() + " vs ideal " + card.idealBytes());
        }
        Assert.assertTrue(Files.exists(work.resolve("centernet").resolve("fp32").resolve("history.csv")));
        // the n-hot stage's last checkpoint loads back as the benchmarks read it: latent weights on the n-hot
        // grid, and activations on it only for nhot (nhot-weights keeps them LSQ)
        for (ZooVariant v : detectors.stream().filter(ZooVariant::isTwoStage).toList()) {
            Checkpoints stage2 = new Checkpoints(ZooBuild.fineTuneDirectory(work, v), v.artifactId());
            try (Model model = ZooBuild.loadFineTuned(v, stage2, stage2.latest().orElseThrow(), true)) {
                List<Quantizer> quantizers = ((QuantizedNetwork) model.getBlock()).getQuantizers();
                Assert.assertFalse(quantizers.isEmpty());
                for (Quantizer q : quantizers) {
                    boolean nHot = q.getRole() == QuantizerRole.WEIGHT || "nhot".equals(v.quantizer());
                    Assert.assertEquals(q instanceof NHotQuantizer n && n.isNHotStage(), nHot, v + ": " + q);
                    Assert.assertTrue(nHot || q instanceof LsqQuantizer, v + ": " + q);
                }
            }
        }
        // a second run finds everything built, checks the files, and trains nothing
        long before = Files.walk(work).count();
        Assert.assertTrue(ZooBuild.build(work, out, "centernet", true));
        Assert.assertEquals(Files.walk(work).count(), before);
    }
}
