package ai.djl.quant.zoo;

import org.testng.Assert;
import org.testng.annotations.Test;

public class ModelCardTest {

    private static ModelCard classifier(Double map) {
        return new ModelCard("resnet18", "shift-w4a4", "shift", 4, 4, ZooVariant.FASHION_MNIST, "shift weights", 93.52, 9352, 10000,
                ZooArtifacts.MODEL_FILE, 1000, 990, "abc", 11, 22, 33, 44, 12, 3, 1.5, "build", map, map, null);
    }

    @Test
    public void roundTripsThroughStrictJsonWithoutNaN() {
        ModelCard card = classifier(null);
        String json = card.toJson();
        Assert.assertFalse(json.contains("NaN"), json);
        Assert.assertEquals(ModelCard.fromJson(json), card);
        Assert.assertEquals(classifier(Double.NaN), card, "a metric that does not apply is null");
    }

    @Test
    public void readsTheNaNOfOlderCardsAsAbsent() {
        String old = classifier(null).toJson().replace("\n}", ",\n  \"map\": NaN,\n  \"map50\": NaN\n}");
        ModelCard card = ModelCard.fromJson(old);
        Assert.assertNull(card.map());
        Assert.assertEquals(card.accuracy(), 93.52);
        Assert.assertFalse(card.toJson().contains("NaN"));
    }

    @Test
    public void scoresKeepEverythingElseAndRoundTripTheSpotCheck() {
        ModelCard unscored = classifier(null);
        ModelCard scored = unscored.withClassifierScore(9001, new ModelCard.SpotCheck(1000, 912, null, null));
        Assert.assertEquals(scored.accuracy(), 90.01, 1e-9);
        Assert.assertEquals(scored.correct(), 9001);
        Assert.assertEquals(scored.sha256(), unscored.sha256());
        Assert.assertEquals(scored.spotCheck().correct(), 912);
        Assert.assertEquals(ModelCard.fromJson(scored.toJson()), scored);
        Assert.assertTrue(scored.toMarkdown().contains("912 / 1000 correct"), scored.toMarkdown());

        ModelCard detector = unscored.withDetectorScore(0.5, 0.75, new ModelCard.SpotCheck(250, -1, 0.52, Double.NaN));
        Assert.assertNull(detector.accuracy());
        Assert.assertEquals(detector.correct(), -1);
        Assert.assertNull(detector.spotCheck().map50(), "a metric that does not apply is null");
        Assert.assertEquals(ModelCard.fromJson(detector.toJson()), detector);
    }

    @Test
    public void readsCardsWrittenBeforeSpotChecks() {
        String old = classifier(null).toJson();
        Assert.assertFalse(old.contains("spotCheck"), "an absent spot check is not written: " + old);
        Assert.assertNull(ModelCard.fromJson(old).spotCheck());
    }
}
