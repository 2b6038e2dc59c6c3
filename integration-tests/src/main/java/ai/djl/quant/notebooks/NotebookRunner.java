package ai.djl.quant.notebooks;

import ai.djl.util.JsonUtils;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import jdk.jshell.JShell;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import jdk.jshell.SourceCodeAnalysis;

/**
 * Runs the code cells of an IJava notebook in order in JShell, as the IJava kernel does: line
 * magics {@code %maven group:artifact:version} (from the local Maven repository, where {@code mvn
 * install} put the project's artifacts), {@code %jars} and {@code %classpath} add to the class
 * path; a rejected snippet, an exception or an error line on stderr fails the run with the cell
 * named. Optionally writes the outputs back into the notebook (atomically), so that committed
 * notebooks show a real run.
 *
 * <p>Command line: {@code NotebookRunner [--write] notebook.ipynb...}.
 */
public final class NotebookRunner implements AutoCloseable {

    private final JShell shell;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final Path mavenRepository;
    private final Path workingDirectory;

    /**
     * Starts a JShell in this JVM with this JVM's class path (the project and its dependencies).
     *
     * @param workingDirectory the directory relative paths of {@code %jars} resolve against
     */
    public NotebookRunner(Path workingDirectory) {
        this.workingDirectory = workingDirectory;
        this.mavenRepository = Paths.get(System.getProperty("maven.repo.local",
                Paths.get(System.getProperty("user.home"), ".m2", "repository").toString()));
        // under mvn exec:java the project's class path lives in the context class loader, which the
        // local execution engine replaces: read it first
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        shell = JShell.builder()
                .executionEngine("local")
                .out(new PrintStream(out, true, StandardCharsets.UTF_8))
                .err(new PrintStream(err, true, StandardCharsets.UTF_8))
                .build();
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            if (!entry.isBlank()) {
                shell.addToClasspath(entry);
            }
        }
        if (context instanceof java.net.URLClassLoader loader) {
            for (java.net.URL url : loader.getURLs()) {
                try {
                    shell.addToClasspath(Paths.get(url.toURI()).toString());
                } catch (java.net.URISyntaxException e) {
                    throw new IllegalStateException("unreadable class path entry " + url, e);
                }
            }
        }
    }

    public static void main(String[] args) throws Exception {
        boolean write = false;
        List<Path> notebooks = new ArrayList<>();
        for (String a : args) {
            if ("--write".equals(a)) {
                write = true;
            } else {
                notebooks.add(Paths.get(a));
            }
        }
        for (Path nb : notebooks) {
            try (NotebookRunner runner = new NotebookRunner(nb.toAbsolutePath().getParent())) {
                JsonObject executed = runner.run(nb);
                if (write) {
                    Path tmp = Files.createTempFile(nb.toAbsolutePath().getParent(), "." + nb.getFileName(), ".tmp");
                    Files.writeString(tmp, JsonUtils.GSON_PRETTY.toJson(executed) + "\n", StandardCharsets.UTF_8);
                    Files.move(tmp, nb, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                }
                System.out.println(nb + ": ok");
            }
        }
    }

    /**
     * Runs every code cell of a notebook in order.
     *
     * @param notebook the {@code .ipynb} file
     * @return the notebook with the outputs of this run
     * @throws IOException when the file cannot be read
     * @throws NotebookException when a cell fails, naming the notebook and the cell
     */
    public JsonObject run(Path notebook) throws IOException {
        JsonObject nb = JsonParser.parseString(Files.readString(notebook, StandardCharsets.UTF_8)).getAsJsonObject();
        int count = 0;
        int index = 0;
        for (JsonElement element : nb.getAsJsonArray("cells")) {
            index++;
            JsonObject cell = element.getAsJsonObject();
            if (!"code".equals(cell.get("cell_type").getAsString())) {
                continue;
            }
            count++;
            String source = text(cell.get("source"));
            String where = notebook.getFileName() + " cell " + index;
            List<String> values;
            // the local execution engine prints to this JVM's streams: capture them per cell
            PrintStream stdout = System.out;
            PrintStream stderr = System.err;
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            try {
                values = runCell(source, where);
            } finally {
                System.setOut(stdout);
                System.setErr(stderr);
            }
            cell.addProperty("execution_count", count);
            JsonArray outputs = new JsonArray();
            String printed = out.toString(StandardCharsets.UTF_8);
            out.reset();
            err.reset();
            if (!printed.isEmpty()) {
                JsonObject stream = new JsonObject();
                stream.addProperty("name", "stdout");
                stream.addProperty("output_type", "stream");
                stream.add("text", lines(printed));
                outputs.add(stream);
            }
            if (!values.isEmpty()) {
                JsonObject result = new JsonObject();
                JsonObject data = new JsonObject();
                data.add("text/plain", lines(values.get(values.size() - 1)));
                result.add("data", data);
                result.addProperty("execution_count", count);
                result.add("metadata", new JsonObject());
                result.addProperty("output_type", "execute_result");
                outputs.add(result);
            }
            cell.add("outputs", outputs);
        }
        return nb;
    }

    /** Runs one cell; returns the values of its expression snippets. */
    private List<String> runCell(String source, String where) {
        StringBuilder code = new StringBuilder();
        for (String line : source.split("\n", -1)) {
            String trimmed = line.trim();
            if (trimmed.startsWith("%")) {
                magic(trimmed, where);
            } else {
                code.append(line).append('\n');
            }
        }
        List<String> values = new ArrayList<>();
        String remaining = code.toString();
        SourceCodeAnalysis analysis = shell.sourceCodeAnalysis();
        while (!remaining.isBlank()) {
            SourceCodeAnalysis.CompletionInfo info = analysis.analyzeCompletion(remaining);
            if (info.completeness() == SourceCodeAnalysis.Completeness.EMPTY) {
                break;
            }
            if (!info.completeness().isComplete()) {
                throw new NotebookException(where + ": incomplete Java at: " + remaining.strip());
            }
            for (SnippetEvent event : shell.eval(info.source())) {
                if (event.status() == Snippet.Status.REJECTED) {
                    StringBuilder why = new StringBuilder();
                    shell.diagnostics(event.snippet()).forEach(d -> why.append(d.getMessage(null)).append("; "));
                    throw new NotebookException(where + ": does not compile: " + event.snippet().source().strip() + " — " + why);
                }
                if (event.exception() != null) {
                    throw new NotebookException(where + ": " + event.exception() + " in: " + event.snippet().source().strip(),
                            event.exception());
                }
                if (event.value() != null && event.snippet().kind() == Snippet.Kind.EXPRESSION) {
                    values.add(event.value());
                }
            }
            String errors = err.toString(StandardCharsets.UTF_8);
            for (String line : errors.split("\n")) {
                if (line.contains("Exception") || line.contains(" ERROR ") || line.startsWith("ERROR")) {
                    throw new NotebookException(where + ": error output: " + line);
                }
            }
            remaining = info.remaining();
        }
        return values;
    }

    private void magic(String line, String where) {
        String[] parts = line.split("\\s+", 2);
        String argument = parts.length > 1 ? parts[1].trim() : "";
        switch (parts[0]) {
            case "%maven" -> {
                String[] gav = argument.split(":");
                if (gav.length != 3) {
                    throw new NotebookException(where + ": %maven needs group:artifact:version, got '" + argument + "'");
                }
                Path jar = mavenRepository.resolve(gav[0].replace('.', '/')).resolve(gav[1]).resolve(gav[2])
                        .resolve(gav[1] + "-" + gav[2] + ".jar");
                if (!Files.exists(jar)) {
                    throw new NotebookException(where + ": %maven " + argument + " is not in " + mavenRepository
                            + "; run mvn install first.");
                }
                shell.addToClasspath(jar.toString());
            }
            case "%jars", "%classpath" -> {
                for (String entry : argument.split("[\\s" + java.io.File.pathSeparator + "]+")) {
                    Path p = workingDirectory.resolve(entry);
                    if (!Files.exists(p)) {
                        throw new NotebookException(where + ": " + parts[0] + " " + entry + " does not exist");
                    }
                    shell.addToClasspath(p.toString());
                }
            }
            default -> throw new NotebookException(where + ": unsupported magic " + parts[0]
                    + " (the runner honours %maven, %jars and %classpath)");
        }
    }

    private static String text(JsonElement source) {
        if (source.isJsonArray()) {
            StringBuilder sb = new StringBuilder();
            source.getAsJsonArray().forEach(e -> sb.append(e.getAsString()));
            return sb.toString();
        }
        return source.getAsString();
    }

    private static JsonArray lines(String text) {
        JsonArray array = new JsonArray();
        String[] parts = text.split("(?<=\n)");
        Stream.of(parts).filter(p -> !p.isEmpty()).forEach(array::add);
        return array;
    }

    @Override
    public void close() {
        shell.close();
    }

    /** A notebook cell that failed. */
    public static final class NotebookException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        NotebookException(String message) {
            super(message);
        }

        NotebookException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
