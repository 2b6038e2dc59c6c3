package ai.djl.quant.benchmarks;

import ai.djl.Model;
import ai.djl.ndarray.types.Shape;
import ai.djl.quant.training.OperatorProfile;
import ai.djl.quant.training.StepTimer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Where {@link StepTimeBenchmark}'s models spend a training step, operator by operator: the same
 * ResNet18 rows, each warmed up and then recorded by PyTorch's profiler ({@link OperatorProfile})
 * in turns, a few steps per model per round, the rounds' median per operator printed as self time
 * per step next to fp32's, with the difference (a burst of other work during one model's turn
 * would otherwise land on that model alone). The operators whose time
 * differs most from fp32 come first: that is what a quantizer adds (its own operators, and the
 * BatchNorm the shift quantizer inserts before its levels).
 *
 * <p>Arguments: {@code [batch=64] [stemStride=2] [steps=3] [rows=4,10] [operators=16] [rounds=3]}, rows as in
 * {@link StepTimeBenchmark} (fp32, row 0, always runs). The profiler slows every call a little,
 * so the totals are not step times; the ratios of record are {@link StepTimeBenchmark}'s.
 */
public final class StepProfileBenchmark {

    private StepProfileBenchmark() {}

    public static void main(String[] args) throws IOException {
        int batch = args.length > 0 ? Integer.parseInt(args[0]) : 64;
        int stemStride = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int steps = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        String rowList = args.length > 3 ? args[3] : "4,10";
        Set<Integer> rows = BenchmarkSupport.rows(new String[] {rowList}, 0, StepTimeBenchmark.NAMES.length);
        int operators = args.length > 4 ? Integer.parseInt(args[4]) : 16;
        int roundCount = args.length > 5 ? Integer.parseInt(args[5]) : 3;
        Shape input = new Shape(batch, 1, 28, 28);
        System.out.printf(Locale.ROOT, "ResNet18 (stride-%d stem), batch %d: %d rounds of %d profiled steps per model after 3 warm-up steps,"
                + " median per operator, %d threads%n", stemStride, batch, roundCount, steps, Runtime.getRuntime().availableProcessors());

        Map<String, OperatorProfile> profiles = new LinkedHashMap<>();
        List<Model> models = new ArrayList<>();
        try (StepTimer timer = new StepTimer(input, 10)) {
            StepTimeBenchmark.addRows(timer, models, rows, stemStride, input);
            Map<String, List<OperatorProfile>> rounds = new LinkedHashMap<>();
            for (int row : rows) {
                timer.steps(StepTimeBenchmark.NAMES[row], 3);
                rounds.put(StepTimeBenchmark.NAMES[row], new ArrayList<>());
            }
            for (int round = 0; round < roundCount; round++) {
                for (Map.Entry<String, List<OperatorProfile>> model : rounds.entrySet()) {
                    timer.steps(model.getKey(), 1); // the first step of a turn unprofiled, as StepTimer leaves it untimed
                    model.getValue().add(OperatorProfile.record(steps, () -> timer.steps(model.getKey(), steps)));
                }
            }
            rounds.forEach((name, taken) -> profiles.put(name, OperatorProfile.median(taken)));
        } finally {
            models.forEach(Model::close);
        }
        print(profiles, operators);
    }

    private static void print(Map<String, OperatorProfile> profiles, int operators) {
        OperatorProfile fp32 = profiles.get(StepTimeBenchmark.NAMES[0]);
        Set<String> names = new TreeSet<>();
        profiles.values().forEach(p -> names.addAll(p.selfMillis().keySet()));
        // largest change against fp32 first, then the largest time
        Comparator<String> order = Comparator.comparingDouble((String op) -> -profiles.values().stream()
                        .mapToDouble(p -> Math.abs(p.selfMillis(op) - fp32.selfMillis(op))).max().orElse(0))
                .thenComparingDouble(op -> -fp32.selfMillis(op));
        List<String> shown = names.stream().sorted(order).limit(operators).toList();

        StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "%-44s", "operator (self ms per step, calls per step)"));
        profiles.keySet().forEach(model -> header.append(String.format(Locale.ROOT, " | %-30s", model)));
        System.out.println(header);
        for (String op : shown) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-44s", op));
            profiles.values().forEach(p -> line.append(cell(p.selfMillis(op), p.calls(op), p == fp32 ? Double.NaN : p.selfMillis(op) - fp32.selfMillis(op))));
            System.out.println(line);
        }
        StringBuilder total = new StringBuilder(String.format(Locale.ROOT, "%-44s", "total (all operators)"));
        profiles.values().forEach(p -> total.append(cell(p.totalMillis(), Double.NaN, p == fp32 ? Double.NaN : p.totalMillis() - fp32.totalMillis())));
        System.out.println(total);
        StringBuilder ratio = new StringBuilder(String.format(Locale.ROOT, "%-44s", "total / fp32 total"));
        profiles.values().forEach(p -> ratio.append(String.format(Locale.ROOT, " | %-30s", String.format(Locale.ROOT, "%.3f", p.totalMillis() / fp32.totalMillis()))));
        System.out.println(ratio);
    }

    private static String cell(double millis, double calls, double change) {
        String text = String.format(Locale.ROOT, "%.1f", millis)
                + (Double.isNaN(calls) ? "" : String.format(Locale.ROOT, " (%.0f)", calls))
                + (Double.isNaN(change) ? "" : String.format(Locale.ROOT, " %+.1f", change));
        return String.format(Locale.ROOT, " | %-30s", text);
    }
}
