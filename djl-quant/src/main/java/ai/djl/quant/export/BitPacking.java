package ai.djl.quant.export;

/** Packs non-negative integer codes of {@code bits} bits each into bytes, least significant first. */
public final class BitPacking {

    private BitPacking() {}

    /**
     * Returns the bytes needed for {@code count} codes of {@code bits} bits.
     *
     * @param count the number of codes
     * @param bits the bits per code
     * @return {@code ceil(count·bits/8)}
     */
    public static int packedBytes(int count, int bits) {
        return (int) (((long) count * bits + 7) / 8);
    }

    /**
     * Packs codes.
     *
     * @param codes values in {@code [0, 2^bits)}
     * @param bits 1 to 31
     * @return the packed bytes
     * @throws IllegalArgumentException for a code that does not fit
     */
    public static byte[] pack(int[] codes, int bits) {
        byte[] out = new byte[packedBytes(codes.length, bits)];
        long bitPosition = 0;
        for (int code : codes) {
            if (code < 0 || (bits < 31 && code >= 1 << bits)) {
                throw new IllegalArgumentException("code " + code + " does not fit in " + bits + " bits");
            }
            for (int b = 0; b < bits; b++, bitPosition++) {
                if ((code >>> b & 1) != 0) {
                    out[(int) (bitPosition >>> 3)] |= (byte) (1 << (bitPosition & 7));
                }
            }
        }
        return out;
    }

    /**
     * Unpacks codes.
     *
     * @param packed the packed bytes
     * @param count the number of codes
     * @param bits the bits per code
     * @return the codes
     */
    public static int[] unpack(byte[] packed, int count, int bits) {
        int[] codes = new int[count];
        long bitPosition = 0;
        for (int i = 0; i < count; i++) {
            int code = 0;
            for (int b = 0; b < bits; b++, bitPosition++) {
                if ((packed[(int) (bitPosition >>> 3)] >>> (bitPosition & 7) & 1) != 0) {
                    code |= 1 << b;
                }
            }
            codes[i] = code;
        }
        return codes;
    }
}
