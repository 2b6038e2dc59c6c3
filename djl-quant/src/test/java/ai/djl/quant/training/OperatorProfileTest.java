package ai.djl.quant.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.testng.Assert;
import org.testng.annotations.Test;

public class OperatorProfileTest {

    private static Path trace(String json) throws IOException {
        Path file = Files.createTempFile("trace", ".json");
        file.toFile().deleteOnExit();
        return Files.writeString(file, json);
    }

    private static String event(String name, String tid, int ts, int dur) {
        return String.format("{\"ph\": \"X\", \"name\": \"%s\", \"tid\": %s, \"ts\": %d, \"dur\": %d}", name, tid, ts, dur);
    }

    @Test
    public void selfTimeIsDurationLessDirectChildrenPerStep() throws IOException {
        // thread 1: A [0,100) holds B [10,40), which holds C [15,25), and D [50,70); thread 2: A [0,40)
        String json = "{\"traceEvents\": ["
                + String.join(", ", event("A", "1", 0, 100), event("B", "1", 10, 30), event("C", "1", 15, 10),
                        event("D", "1", 50, 20), event("A", "2", 0, 40),
                        "{\"ph\": \"M\", \"name\": \"process_name\", \"tid\": 1, \"ts\": 0}")
                + "]}";
        OperatorProfile profile = OperatorProfile.read(trace(json), 2);
        // microseconds → ms, over 2 steps: A = (100-30-20) + 40 = 90, B = 30-10, C = 10, D = 20
        Assert.assertEquals(profile.selfMillis("A"), 0.045, 1e-12);
        Assert.assertEquals(profile.selfMillis("B"), 0.010, 1e-12);
        Assert.assertEquals(profile.selfMillis("C"), 0.005, 1e-12);
        Assert.assertEquals(profile.selfMillis("D"), 0.010, 1e-12);
        Assert.assertEquals(profile.selfMillis("E"), 0.0);
        Assert.assertEquals(profile.calls("A"), 1.0);
        Assert.assertEquals(profile.calls("C"), 0.5);
        // every microsecond the top-level events took, once
        Assert.assertEquals(profile.totalMillis(), (100 + 40) / 2 / 1000.0, 1e-12);
    }

    @Test
    public void eventsThatStartTogetherNestTheShorterInTheLonger() throws IOException {
        String json = "[" + event("inner", "7", 5, 10) + ", " + event("outer", "7", 5, 30) + "]";
        OperatorProfile profile = OperatorProfile.read(trace(json), 1);
        Assert.assertEquals(profile.selfMillis("outer"), 0.020, 1e-12);
        Assert.assertEquals(profile.selfMillis("inner"), 0.010, 1e-12);
    }

    @Test
    public void theMedianIsTakenPerOperatorWithZeroWhereItDidNotRun() throws IOException {
        OperatorProfile first = OperatorProfile.read(trace("[" + event("A", "1", 0, 10) + ", " + event("B", "1", 20, 4) + "]"), 1);
        OperatorProfile second = OperatorProfile.read(trace("[" + event("A", "1", 0, 30) + "]"), 1);
        OperatorProfile third = OperatorProfile.read(trace("[" + event("A", "1", 0, 900) + ", " + event("B", "1", 1000, 8) + "]"), 1);
        OperatorProfile median = OperatorProfile.median(List.of(first, second, third));
        Assert.assertEquals(median.selfMillis("A"), 0.030, 1e-12, "the burst of 900 does not count");
        Assert.assertEquals(median.selfMillis("B"), 0.004, 1e-12, "median of 4, 0, 8");
        Assert.assertEquals(median.calls("B"), 1.0);
        Assert.assertEquals(median.totalMillis(), 0.034, 1e-12);
        Assert.assertEquals(OperatorProfile.median(List.of(first, second)).selfMillis("A"), 0.020, 1e-12, "even count: the mean of the middle two");
        Assert.expectThrows(IllegalArgumentException.class, () -> OperatorProfile.median(List.of()));
    }

    @Test
    public void recordsPyTorchOperatorsPerStep() throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray a = manager.ones(new ai.djl.ndarray.types.Shape(256, 256));
            OperatorProfile profile = OperatorProfile.record(3, () -> {
                for (int i = 0; i < 3; i++) {
                    a.mul(a).close();
                }
            });
            Assert.assertEquals(profile.calls("aten::mul"), 1.0, profile.selfMillis().toString());
            Assert.assertTrue(profile.selfMillis("aten::mul") > 0, profile.selfMillis().toString());
            Assert.assertTrue(profile.totalMillis() >= profile.selfMillis("aten::mul"));
        }
    }

    @Test
    public void namesAFileThatIsNotATrace() throws IOException {
        Path notJson = trace("this is not { json");
        IOException e = Assert.expectThrows(IOException.class, () -> OperatorProfile.read(notJson, 1));
        Assert.assertTrue(e.getMessage().contains(notJson.toString()), e.getMessage());
        Path noEvents = trace("{\"schemaVersion\": 1}");
        e = Assert.expectThrows(IOException.class, () -> OperatorProfile.read(noEvents, 1));
        Assert.assertTrue(e.getMessage().contains(noEvents.toString()) && e.getMessage().contains("traceEvents"), e.getMessage());
        Assert.expectThrows(IllegalArgumentException.class, () -> OperatorProfile.read(noEvents, 0));
    }
}
