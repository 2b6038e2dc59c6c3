package ai.djl.quant.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.Dataset;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import org.testng.Assert;
import org.testng.annotations.Test;

public class FashionMnistDatasetTest {

    @Test
    public void readsTheDebianPackageFiles() throws IOException, TranslateException {
        FashionMnistDataset test =
                FashionMnistDataset.builder().optUsage(Dataset.Usage.TEST).setSampling(1000, false).build();
        test.prepare(null);
        Assert.assertEquals(test.size(), 10_000);
        int[] counts = new int[10];
        for (int i = 0; i < 10_000; i++) {
            counts[test.getLabel(i)]++;
        }
        for (int c : counts) {
            Assert.assertEquals(c, 1000); // the test split is balanced
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            Iterator<Batch> it = test.getData(manager).iterator();
            Batch batch = it.next();
            NDArray x = batch.getData().head();
            Assert.assertEquals(x.getShape(), new Shape(1000, 1, 28, 28));
            // normalised: roughly zero mean, unit std over a batch
            Assert.assertEquals(x.mean().getFloat(), 0f, 0.1f);
            Assert.assertEquals(batch.getLabels().head().getShape(), new Shape(1000));
            Assert.assertEquals(batch.getProgressTotal(), 10);
        }
    }

    @Test
    public void augmentationIsReproducibleFromTheSeed() throws IOException, TranslateException {
        float[][] first = new float[2][];
        for (int run = 0; run < 2; run++) {
            FashionMnistDataset train =
                    FashionMnistDataset.builder()
                            .optUsage(Dataset.Usage.TRAIN)
                            .optLimitImages(256)
                            .optAugment(true)
                            .optSeed(5)
                            .setSampling(64, true)
                            .build();
            try (NDManager manager = NDManager.newBaseManager()) {
                first[run] = train.getData(manager).iterator().next().getData().head().toFloatArray();
            }
        }
        Assert.assertEquals(first[0], first[1]);
    }

    @Test
    public void missingDataSaysHowToInstallIt() throws IOException {
        Path empty = Files.createTempDirectory("no-fmnist");
        IOException e = Assert.expectThrows(IOException.class, () -> FashionMnistDataset.locate(empty));
        Assert.assertTrue(e.getMessage().contains(empty.toString()), e.getMessage());
        FashionMnistDataset ds = FashionMnistDataset.builder().optDirectory(empty).setSampling(8, false).build();
        Assert.expectThrows(IOException.class, () -> ds.prepare(null));
    }

    @Test
    public void truncatedFilesAreRejected() throws IOException {
        Path dir = Files.createTempDirectory("bad-fmnist");
        Path labels = dir.resolve("t10k-labels-idx1-ubyte");
        Files.write(labels, new byte[] {0, 0, 8, 1, 0, 0, 0, 10, 1, 2});
        IOException e = Assert.expectThrows(IOException.class, () -> FashionMnistDataset.readLabels(labels));
        Assert.assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }
}
