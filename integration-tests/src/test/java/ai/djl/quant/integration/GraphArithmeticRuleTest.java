package ai.djl.quant.integration;

import ai.djl.nn.Activation;
import ai.djl.quant.nn.GraphConstants;
import ai.djl.quant.zoo.cv.MobileNetV2;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.testng.Assert;
import org.testng.annotations.Test;

/**
 * No class of djl-quant or djl-quant-zoo calls the DJL operators that keep a Java-memory constant
 * for the backward pass ({@code mul(Number)}, {@code div(Number)}, …, {@code Activation.relu6}):
 * their gradients read freed memory (see {@link GraphConstants}). The rule is checked on the
 * compiled classes, because the source cannot tell a {@code float} argument from an array.
 */
public class GraphArithmeticRuleTest {

    private static final Set<String> ARRAY_OWNERS = Set.of("ai/djl/ndarray/NDArray", "ai/djl/ndarray/NDArrays",
            "ai/djl/pytorch/engine/PtNDArray");
    private static final Set<String> KEEPING_OPERATORS = Set.of("mul", "muli", "div", "divi", "pow", "powi", "maximum",
            "minimum", "rdiv", "rdivi", "rpow", "rpowi");

    @Test
    public void noProductionClassUsesAnOperatorThatKeepsAJavaMemoryConstant() throws IOException, URISyntaxException {
        List<String> offenders = new ArrayList<>();
        offenders.addAll(offenders(GraphConstants.class));
        offenders.addAll(offenders(MobileNetV2.class));
        Assert.assertTrue(offenders.isEmpty(), "use GraphConstants / Relu6 instead:\n" + String.join("\n", offenders));
    }

    @Test
    public void theScanFindsDjlsOwnRelu6() throws IOException, URISyntaxException {
        // DJL's Activation.relu6 is NDArrays.minimum(6, relu(x)): the scan must see it in DJL's jar
        Assert.assertTrue(offenders(Activation.class).stream().anyMatch(
                o -> o.startsWith("ai/djl/nn/Activation.class calls ai/djl/ndarray/NDArrays.minimum(Ljava/lang/Number;")));
    }

    /** The forbidden calls in the jar or class directory that holds {@code member}. */
    private static List<String> offenders(Class<?> member) throws IOException, URISyntaxException {
        Path location = Paths.get(member.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<NamedClass> classes = classFiles(location);
        Assert.assertTrue(classes.size() > 20, location + " holds only " + classes.size() + " classes");
        List<String> out = new ArrayList<>();
        for (NamedClass c : classes) {
            for (String call : methodReferences(c.bytes())) {
                if (forbidden(call)) {
                    out.add(c.name() + " calls " + call);
                }
            }
        }
        return out;
    }

    @Test
    public void theCheckRecognisesTheForbiddenCalls() {
        Assert.assertTrue(forbidden("ai/djl/ndarray/NDArray.mul(Ljava/lang/Number;)Lai/djl/ndarray/NDArray;"));
        Assert.assertTrue(forbidden("ai/djl/ndarray/NDArrays.pow(Ljava/lang/Number;Lai/djl/ndarray/NDArray;)Lai/djl/ndarray/NDArray;"));
        Assert.assertTrue(forbidden("ai/djl/nn/Activation.relu6Block()Lai/djl/nn/Block;"));
        Assert.assertFalse(forbidden("ai/djl/ndarray/NDArray.mul(Lai/djl/ndarray/NDArray;)Lai/djl/ndarray/NDArray;"));
        Assert.assertFalse(forbidden("ai/djl/ndarray/NDArray.add(Ljava/lang/Number;)Lai/djl/ndarray/NDArray;"));
    }

    /** {@code owner.name(descriptor)}. */
    private static boolean forbidden(String call) {
        int dot = call.indexOf('.');
        int paren = call.indexOf('(');
        String owner = call.substring(0, dot);
        String name = call.substring(dot + 1, paren);
        if ("ai/djl/nn/Activation".equals(owner)) {
            return name.startsWith("relu6");
        }
        return ARRAY_OWNERS.contains(owner) && KEEPING_OPERATORS.contains(name)
                && call.substring(paren, call.indexOf(')') + 1).contains("Ljava/lang/Number;");
    }

    private record NamedClass(String name, byte[] bytes) {}

    private static List<NamedClass> classFiles(Path location) throws IOException {
        List<NamedClass> out = new ArrayList<>();
        if (Files.isDirectory(location)) {
            try (Stream<Path> files = Files.walk(location)) {
                for (Path p : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".class"))::iterator) {
                    out.add(new NamedClass(location.relativize(p).toString(), Files.readAllBytes(p)));
                }
            }
            return out;
        }
        try (ZipFile jar = new ZipFile(location.toFile())) {
            for (Enumeration<? extends ZipEntry> e = jar.entries(); e.hasMoreElements(); ) {
                ZipEntry entry = e.nextElement();
                if (entry.getName().endsWith(".class")) {
                    try (InputStream in = jar.getInputStream(entry)) {
                        out.add(new NamedClass(entry.getName(), in.readAllBytes()));
                    }
                }
            }
        }
        return out;
    }

    /** Every method reference in the constant pool, as {@code owner.name(descriptor)}. */
    private static List<String> methodReferences(byte[] classFile) throws IOException {
        DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(classFile));
        in.readInt(); // magic
        in.readInt(); // minor, major
        int count = in.readUnsignedShort();
        String[] utf8 = new String[count];
        int[][] refs = new int[count][];
        int[] tags = new int[count];
        for (int i = 1; i < count; i++) {
            int tag = in.readUnsignedByte();
            tags[i] = tag;
            switch (tag) {
                case 1 -> utf8[i] = in.readUTF();
                case 7, 8, 16, 19, 20 -> refs[i] = new int[] {in.readUnsignedShort()};
                case 3, 4 -> in.readInt();
                case 5, 6 -> {
                    in.readLong();
                    i++;
                }
                case 9, 10, 11, 12, 17, 18 -> refs[i] = new int[] {in.readUnsignedShort(), in.readUnsignedShort()};
                case 15 -> {
                    in.readUnsignedByte();
                    in.readUnsignedShort();
                }
                default -> throw new IOException("unknown constant pool tag " + tag);
            }
        }
        List<String> out = new ArrayList<>();
        for (int i = 1; i < count; i++) {
            if (tags[i] == 10 || tags[i] == 11) {
                String owner = utf8[refs[refs[i][0]][0]];
                int[] nameAndType = refs[refs[i][1]];
                out.add(owner + "." + utf8[nameAndType[0]] + utf8[nameAndType[1]]);
            }
        }
        return out;
    }
}
