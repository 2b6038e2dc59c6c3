package ai.djl.quant.zoo;

import org.testng.Assert;
import org.testng.annotations.Test;

public class ModelCardTest {

    private static ModelCard classifier(Double map) {
        return new ModelCard("resnet18", "shift-w4a4", "shift", 4, 4, ZooVariant.FASHION_MNIST, "shift weights", 93.52, 9352, 10000,
                ZooArtifacts.MODEL_FILE, 1000, 990, "abc", 11, 22, 33, 44, 12, 3, 1.5, "build", map, map);
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
}
