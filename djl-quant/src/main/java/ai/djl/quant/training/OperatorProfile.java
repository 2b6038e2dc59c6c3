package ai.djl.quant.training;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.ToDoubleFunction;

/**
 * Where a training step's time goes, operator by operator: PyTorch's profiler (through DJL's
 * {@code JniUtils.startProfile}) records some steps, and the trace it writes (Chrome's trace-event
 * format) is summed into each operator's <em>self</em> time, its duration minus that of the
 * operators it called, per step:
 *
 * <pre>
 * self(op) = Σ_events(op) (dur(e) - Σ_{children c of e} dur(c)) / steps
 * </pre>
 *
 * where an event's children are the events of the same thread that start within it and are not
 * inside a deeper child. The self times of all operators add up to the time the profiler saw, so
 * that the rows of two models (fp32 and quantized) can be subtracted to find what the quantizers
 * add. The profiler slows every operator call a little; compare profiles with profiles, and take
 * step-time ratios from {@link StepTimer}.
 */
public final class OperatorProfile {

    private final Map<String, Double> selfMillis;
    private final Map<String, Double> calls;

    private OperatorProfile(Map<String, Double> selfMillis, Map<String, Double> calls) {
        this.selfMillis = selfMillis;
        this.calls = calls;
    }

    /**
     * Profiles {@code steps} calls of {@code step} with PyTorch's profiler.
     *
     * @param steps how many steps {@code step} runs (the times are divided by it)
     * @param step the work, run once, between the profiler's start and stop
     * @return the profile
     * @throws IOException when the trace cannot be written or read
     * @throws IllegalStateException when the engine is not PyTorch
     */
    public static OperatorProfile record(int steps, Runnable step) throws IOException {
        if (!"PyTorch".equals(Engine.getInstance().getEngineName())) {
            throw new IllegalStateException("OperatorProfile needs DJL's PyTorch engine, not " + Engine.getInstance().getEngineName());
        }
        Path trace = Files.createTempFile("djl-quant-profile", ".json");
        try {
            JniUtils.startProfile(false, false, false);
            try {
                step.run();
            } finally {
                JniUtils.stopProfile(trace.toString());
            }
            return read(trace, steps);
        } finally {
            Files.deleteIfExists(trace);
        }
    }

    /**
     * Reads a trace that PyTorch's profiler wrote (a JSON object with {@code traceEvents}, or the
     * bare array): complete events ({@code "ph": "X"}) with {@code name}, {@code ts}, {@code dur}
     * (microseconds) and {@code tid}.
     *
     * @param trace the file
     * @param steps the number of steps it recorded
     * @return the profile
     * @throws IOException when the file cannot be read or is not such a trace (the file is named)
     */
    public static OperatorProfile read(Path trace, int steps) throws IOException {
        if (steps < 1) {
            throw new IllegalArgumentException("steps must be at least 1, got " + steps);
        }
        JsonElement root;
        try (Reader reader = Files.newBufferedReader(trace, StandardCharsets.UTF_8)) {
            root = JsonParser.parseReader(reader);
        } catch (JsonParseException e) {
            throw new IOException(trace + " is not a JSON trace (" + e.getMessage() + "); write it with JniUtils.stopProfile", e);
        }
        JsonArray events = root.isJsonArray() ? root.getAsJsonArray()
                : root.isJsonObject() && root.getAsJsonObject().has("traceEvents") ? root.getAsJsonObject().getAsJsonArray("traceEvents") : null;
        if (events == null) {
            throw new IOException(trace + " has no traceEvents array: not a trace of PyTorch's profiler");
        }
        Map<String, List<Event>> threads = new HashMap<>();
        for (JsonElement element : events) {
            JsonObject e = element.getAsJsonObject();
            if (e.has("ph") && "X".equals(e.get("ph").getAsString()) && e.has("dur")) {
                String thread = e.has("tid") ? e.get("tid").getAsString() : "";
                threads.computeIfAbsent(thread, t -> new ArrayList<>())
                        .add(new Event(e.get("name").getAsString(), e.get("ts").getAsDouble(), e.get("dur").getAsDouble()));
            }
        }
        Map<String, Double> self = new HashMap<>();
        Map<String, Double> calls = new HashMap<>();
        for (List<Event> thread : threads.values()) {
            // parents first: by start, the longer of two events that start together first
            thread.sort(Comparator.comparingDouble(Event::start).thenComparing(Comparator.comparingDouble(Event::duration).reversed()));
            Deque<Event> open = new ArrayDeque<>();
            for (Event e : thread) {
                while (!open.isEmpty() && open.peek().end() <= e.start()) {
                    open.pop();
                }
                if (!open.isEmpty()) {
                    self.merge(open.peek().name(), -e.duration(), Double::sum);
                }
                self.merge(e.name(), e.duration(), Double::sum);
                calls.merge(e.name(), 1.0, Double::sum);
                open.push(e);
            }
        }
        self.replaceAll((name, micros) -> micros / 1000 / steps);
        calls.replaceAll((name, n) -> n / steps);
        return new OperatorProfile(self, calls);
    }

    /**
     * Combines profiles of the same work taken at different times, operator by operator: each
     * operator's self time and calls are the median of its values over the profiles (0 where it
     * did not run), so that a burst of other work on the machine during one of them does not
     * count. The total is then the sum of medians, no longer one profile's time.
     *
     * @param profiles one or more profiles
     * @return the median profile
     */
    public static OperatorProfile median(List<OperatorProfile> profiles) {
        if (profiles.isEmpty()) {
            throw new IllegalArgumentException("no profiles to take the median of");
        }
        Set<String> operators = new HashSet<>();
        profiles.forEach(p -> operators.addAll(p.selfMillis.keySet()));
        Map<String, Double> self = new HashMap<>();
        Map<String, Double> calls = new HashMap<>();
        for (String op : operators) {
            self.put(op, median(profiles, q -> q.selfMillis(op)));
            calls.put(op, median(profiles, q -> q.calls(op)));
        }
        return new OperatorProfile(self, calls);
    }

    private static double median(List<OperatorProfile> profiles, ToDoubleFunction<OperatorProfile> value) {
        double[] values = profiles.stream().mapToDouble(value).sorted().toArray();
        int n = values.length;
        return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    }

    /**
     * Returns each operator's self time per step.
     *
     * @return milliseconds per step by operator name, unmodifiable
     */
    public Map<String, Double> selfMillis() {
        return Collections.unmodifiableMap(selfMillis);
    }

    /**
     * Returns one operator's self time per step.
     *
     * @param operator the name, as PyTorch's profiler writes it ({@code aten::native_batch_norm})
     * @return milliseconds per step, 0 when it did not run
     */
    public double selfMillis(String operator) {
        return selfMillis.getOrDefault(operator, 0.0);
    }

    /**
     * Returns how often an operator ran per step.
     *
     * @param operator the name
     * @return calls per step, 0 when it did not run
     */
    public double calls(String operator) {
        return calls.getOrDefault(operator, 0.0);
    }

    /**
     * Returns the time the profiler saw per step: the sum of every operator's self time.
     *
     * @return milliseconds per step
     */
    public double totalMillis() {
        return selfMillis.values().stream().mapToDouble(Double::doubleValue).sum();
    }

    private record Event(String name, double start, double duration) {
        double end() {
            return start + duration;
        }
    }
}
