package ai.djl.quant.nn;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Makes Java free the direct buffers nothing references any more and refills that memory with a
 * marker value: what happens between a forward and a backward pass in a long training run, when
 * the collector runs and new arrays are created.
 */
final class JavaMemoryReuse {

    /** The value written into the reused memory. */
    static final float MARKER = 12345f;

    private JavaMemoryReuse() {}

    /**
     * Collects, then allocates small direct buffers holding {@link #MARKER}.
     *
     * @return the buffers: keep them reachable until the check is done
     */
    static List<ByteBuffer> provoke() throws InterruptedException {
        for (int i = 0; i < 2; i++) {
            System.gc();
            Thread.sleep(30);
        }
        List<ByteBuffer> buffers = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            ByteBuffer b = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder());
            b.putFloat(0, MARKER);
            buffers.add(b);
        }
        return buffers;
    }
}
