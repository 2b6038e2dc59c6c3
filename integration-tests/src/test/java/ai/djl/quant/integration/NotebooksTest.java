package ai.djl.quant.integration;

import ai.djl.quant.notebooks.NotebookRunner;
import ai.djl.quant.notebooks.NotebookRunner.NotebookException;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.stream.Stream;
import org.testng.Assert;
import org.testng.annotations.DataProvider;
import org.testng.annotations.Test;

/** Every notebook of examples/notebooks runs cell by cell as the IJava kernel would run it. */
public class NotebooksTest {

    static final Path NOTEBOOKS = Paths.get("..", "examples", "notebooks");

    @DataProvider
    public Object[][] notebooks() throws Exception {
        try (Stream<Path> files = Files.list(NOTEBOOKS)) {
            List<Path> list = files.filter(p -> p.toString().endsWith(".ipynb")).sorted().toList();
            Assert.assertFalse(list.isEmpty(), "no notebooks in " + NOTEBOOKS.toAbsolutePath());
            return list.stream().map(p -> new Object[] {p.getFileName().toString()}).toArray(Object[][]::new);
        }
    }

    @Test(dataProvider = "notebooks")
    public void notebookRuns(String name) throws Exception {
        try (NotebookRunner runner = new NotebookRunner(NOTEBOOKS.toAbsolutePath())) {
            JsonObject executed = runner.run(NOTEBOOKS.resolve(name));
            for (var cell : executed.getAsJsonArray("cells")) {
                JsonObject c = cell.getAsJsonObject();
                if ("code".equals(c.get("cell_type").getAsString())) {
                    Assert.assertTrue(c.get("execution_count").getAsInt() > 0);
                }
            }
        }
    }

    @Test
    public void aBrokenNotebookFailsWithItsCellNamed() throws Exception {
        Path original = NOTEBOOKS.resolve("03-nhot-two-stage.ipynb");
        JsonObject nb = JsonParser.parseString(Files.readString(original)).getAsJsonObject();
        JsonArray cells = nb.getAsJsonArray("cells");
        Path dir = Files.createTempDirectory("broken-notebook");

        JsonObject thrower = codeCell("throw new IllegalStateException(\"broken on purpose\");");
        JsonArray withThrow = new JsonArray();
        withThrow.add(cells.get(0));
        withThrow.add(cells.get(1));
        withThrow.add(thrower);
        nb.add("cells", withThrow);
        Path broken = dir.resolve("broken.ipynb");
        Files.writeString(broken, nb.toString());
        try (NotebookRunner runner = new NotebookRunner(dir)) {
            NotebookException e = Assert.expectThrows(NotebookException.class, () -> runner.run(broken));
            Assert.assertTrue(e.getMessage().startsWith("broken.ipynb cell 3") && e.getMessage().contains("broken on purpose"),
                    e.getMessage());
        }

        JsonArray withTypo = new JsonArray();
        withTypo.add(cells.get(1));
        withTypo.add(codeCell("NHotLevels levels = new NHotLevelz(8, 2, true);"));
        nb.add("cells", withTypo);
        Files.writeString(broken, nb.toString());
        try (NotebookRunner runner = new NotebookRunner(dir)) {
            NotebookException e = Assert.expectThrows(NotebookException.class, () -> runner.run(broken));
            Assert.assertTrue(e.getMessage().startsWith("broken.ipynb cell 2: does not compile"), e.getMessage());
        }

        JsonArray missingArtifact = new JsonArray();
        missingArtifact.add(codeCell("%maven ai.djl.quant:no-such-artifact:0.1.0"));
        nb.add("cells", missingArtifact);
        Files.writeString(broken, nb.toString());
        try (NotebookRunner runner = new NotebookRunner(dir)) {
            NotebookException e = Assert.expectThrows(NotebookException.class, () -> runner.run(broken));
            Assert.assertTrue(e.getMessage().contains("no-such-artifact") && e.getMessage().contains("mvn install"), e.getMessage());
        }
    }

    private static JsonObject codeCell(String source) {
        JsonObject cell = new JsonObject();
        cell.addProperty("cell_type", "code");
        cell.add("metadata", new JsonObject());
        cell.add("outputs", new JsonArray());
        cell.addProperty("source", source);
        return cell;
    }
}
