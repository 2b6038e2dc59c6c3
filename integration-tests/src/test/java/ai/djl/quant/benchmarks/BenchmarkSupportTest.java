package ai.djl.quant.benchmarks;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertThrows;

import java.util.List;
import java.util.Set;
import org.testng.annotations.Test;

public class BenchmarkSupportTest {

    @Test
    public void withoutTheArgumentEveryRowRuns() {
        assertEquals(List.copyOf(BenchmarkSupport.rows(new String[] {"12", "3"}, 4, 4)), List.of(0, 1, 2, 3));
    }

    @Test
    public void selectedRowsAlwaysIncludeTheFp32Reference() {
        Set<Integer> rows = BenchmarkSupport.rows(new String[] {"12", "3", "dir", "zoo", "4, 2"}, 4, 7);
        assertEquals(List.copyOf(rows), List.of(0, 2, 4));
    }

    @Test
    public void aRowOutsideTheTableIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> BenchmarkSupport.rows(new String[] {"7"}, 0, 7));
        assertThrows(IllegalArgumentException.class, () -> BenchmarkSupport.rows(new String[] {"-1"}, 0, 7));
    }

    @Test
    public void theShiftAddFloorComparesNonZeroWeightMacsWithTheUniformShiftAdds() {
        // fields: score, shift-adds, non-zero-weight MACs
        String[] uniform = {"93.6", "200", "120"};
        String[] nhot = {"93.7", "190", "80"};
        String line = BenchmarkSupport.shiftAddFloor("n", nhot, "u", uniform, 1, 2);
        // 80 / 200 = 40 %: no count of n's weights below -60 %; u's own 120 / 200 = 60 %, 200 / 120 = 1.67 digits
        assertEquals(line, "  n: non-zero-weight MACs 80 = 40.0 % of u's shift-adds, so no shift-add count of these weights is below -60.0 % "
                + "against it; u's own are 60.0 % of its shift-adds (1.67 non-zero digits per non-zero weight)" + System.lineSeparator());
    }

    @Test
    public void aResultLineWithoutTheNonZeroFieldPrintsNoFloor() {
        assertEquals(BenchmarkSupport.shiftAddFloor("n", new String[] {"93.7", "190"}, "u", new String[] {"93.6", "200", "120"}, 1, 2), "");
    }
}
