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
}
