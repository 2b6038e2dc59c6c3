package ai.djl.quant.export;

/** Plain float convolution and linear kernels for the layers of {@link IntegerEngine} that stay float. */
final class FloatKernels {

    private FloatKernels() {}

    /** A 2-D convolution with fixed weights (square stride and padding, no dilation). */
    static final class Conv {
        private final float[] w;
        private final int out;
        private final int inPerGroup;
        private final int kh;
        private final int kw;
        private final int groups;
        private final int stride;
        private final int padding;
        private final float[] bias;
        private long macs;

        Conv(float[] w, long[] shape, int groups, int stride, int padding, float[] bias) {
            this.w = w;
            this.out = (int) shape[0];
            this.inPerGroup = (int) shape[1];
            this.kh = (int) shape[2];
            this.kw = (int) shape[3];
            this.groups = groups;
            this.stride = stride;
            this.padding = padding;
            this.bias = bias;
        }

        float[] run(float[] x, long[] shape) {
            int batch = (int) shape[0];
            int channels = (int) shape[1];
            int h = (int) shape[2];
            int wd = (int) shape[3];
            int oh = (h + 2 * padding - kh) / stride + 1;
            int ow = (wd + 2 * padding - kw) / stride + 1;
            int outPerGroup = out / groups;
            float[] y = new float[batch * out * oh * ow];
            macs = 0;
            for (int n = 0; n < batch; n++) {
                for (int o = 0; o < out; o++) {
                    int first = (o / outPerGroup) * inPerGroup;
                    for (int i = 0; i < oh; i++) {
                        for (int j = 0; j < ow; j++) {
                            float acc = bias == null ? 0 : bias[o];
                            int wi = o * inPerGroup * kh * kw;
                            for (int c = 0; c < inPerGroup; c++) {
                                int plane = (n * channels + first + c) * h;
                                for (int u = 0; u < kh; u++) {
                                    int row = i * stride - padding + u;
                                    for (int v = 0; v < kw; v++, wi++) {
                                        int col = j * stride - padding + v;
                                        if (row >= 0 && row < h && col >= 0 && col < wd) {
                                            acc += x[(plane + row) * wd + col] * w[wi];
                                            macs++;
                                        }
                                    }
                                }
                            }
                            y[((n * out + o) * oh + i) * ow + j] = acc;
                        }
                    }
                }
            }
            return y;
        }

        long lastMacs() {
            return macs;
        }
    }

    static float[] linear(float[] x, int batch, int features, float[] w, int rows, float[] bias) {
        float[] y = new float[batch * rows];
        for (int n = 0; n < batch; n++) {
            for (int o = 0; o < rows; o++) {
                float acc = bias == null ? 0 : bias[o];
                for (int i = 0; i < features; i++) {
                    acc += x[n * features + i] * w[o * features + i];
                }
                y[n * rows + o] = acc;
            }
        }
        return y;
    }
}
