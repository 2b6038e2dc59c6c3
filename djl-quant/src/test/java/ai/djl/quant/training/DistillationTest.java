package ai.djl.quant.training;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.quant.Quantization;
import ai.djl.quant.QuantizationConfig;
import ai.djl.quant.TestModels;
import ai.djl.quant.nn.QuantizedNetwork;
import ai.djl.quant.quantizers.LsqQuantizer;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.testng.Assert;
import org.testng.annotations.Test;

public class DistillationTest {

    private static Block teacher(NDManager manager) {
        manager.getEngine().setRandomSeed(7);
        Block linear = Linear.builder().setUnits(2).build();
        linear.initialize(manager, DataType.FLOAT32, new Shape(4, 3));
        return linear;
    }

    private static ArrayDataset data(NDManager manager) {
        manager.getEngine().setRandomSeed(3);
        return new ArrayDataset.Builder().setData(manager.randomNormal(new Shape(8, 3)))
                .optLabels(manager.randomNormal(new Shape(8, 2))).setSampling(4, false).build();
    }

    @Test
    public void labelsEveryBatchWithTheTeachersOutputsForItsData() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block teacher = teacher(manager);
            Distillation kd = Distillation.builder().setTeacher(teacher).setImitation(Loss.l2Loss()).build();
            int batches = 0;
            for (Batch batch : kd.label(data(manager)).getData(manager)) {
                NDList labels = batch.getLabels();
                Assert.assertEquals(labels.size(), 2, "the task's label, then the teacher's output");
                NDArray expected = kd.teach(manager, batch.getData()).head();
                Assert.assertEquals(labels.get(1).toFloatArray(), expected.toFloatArray(), 0f);
                Assert.assertEquals(labels.get(0).getShape(), new Shape(4, 2));
                batch.close();
                batches++;
            }
            Assert.assertEquals(batches, 2);
        }
    }

    @Test
    public void teachesInInferenceModeOrWithBatchStatistics() {
        try (NDManager manager = NDManager.newBaseManager()) {
            manager.getEngine().setRandomSeed(11);
            Block teacher = new SequentialBlock().add(Linear.builder().setUnits(2).build()).add(BatchNorm.builder().build());
            teacher.initialize(manager, DataType.FLOAT32, new Shape(4, 3));
            NDArray x = manager.randomNormal(3f, 1f, new Shape(16, 3), DataType.FLOAT32);
            NDArray linear = teacher.getChildren().get(0).getValue()
                    .forward(new ParameterStore(manager, false), new NDList(x), false).head();
            Distillation running = Distillation.builder().setTeacher(teacher).setImitation(Loss.l2Loss()).build();
            // fresh running statistics (mean 0, variance 1) leave the linear outputs as they are
            Assert.assertEquals(running.teach(manager, new NDList(x)).head().toFloatArray(), linear.toFloatArray(), 1e-3f);
            Distillation batch = Distillation.builder().setTeacher(teacher).setImitation(Loss.l2Loss()).optBatchStatistics(true).build();
            NDArray normalised = batch.teach(manager, new NDList(x)).head();
            Assert.assertEquals(normalised.mean(new int[] {0}).toFloatArray(), new float[] {0, 0}, 1e-5f, "each batch centred by its own mean");
        }
    }

    @Test
    public void lossIsTheTaskLossPlusTheWeightedImitation() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray y = manager.create(new float[] {1, 2});
            NDArray t = manager.create(new float[] {0, 4});
            NDArray s = manager.create(new float[] {2, 2});
            Distillation kd = Distillation.builder().setTeacher(teacher(manager)).setImitation(Loss.l1Loss()).optWeight(0.5f).build();
            // L2 (DJL: mean of ½(y-s)²) = (0.5 + 0)/2 = 0.25; L1 = (2 + 2)/2 = 2; 0.25 + 0.5·2 = 1.25
            NDArray loss = kd.loss(Loss.l2Loss()).evaluate(new NDList(y, t), new NDList(s));
            Assert.assertEquals(loss.getFloat(), 1.25f, 1e-6f);
            Assert.assertEquals(Distillation.taskOnly(Loss.l2Loss()).evaluate(new NDList(y, t), new NDList(s)).getFloat(), 0.25f, 1e-6f);
            IllegalArgumentException e = Assert.expectThrows(IllegalArgumentException.class,
                    () -> kd.loss(Loss.l2Loss()).evaluate(new NDList(y), new NDList(s)));
            Assert.assertTrue(e.getMessage().contains("Distillation.label"), e.getMessage());
        }
    }

    @Test
    public void builderRefusesAMissingTeacherOrImitationAndABadWeight() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block teacher = teacher(manager);
            Assert.expectThrows(IllegalArgumentException.class, () -> Distillation.builder().setImitation(Loss.l1Loss()).build());
            Assert.expectThrows(IllegalArgumentException.class, () -> Distillation.builder().setTeacher(teacher).build());
            for (float bad : new float[] {-1f, Float.NaN, Float.POSITIVE_INFINITY}) {
                Assert.expectThrows(IllegalArgumentException.class,
                        () -> Distillation.builder().setTeacher(teacher).setImitation(Loss.l1Loss()).optWeight(bad).build());
            }
        }
    }

    /**
     * Wraps a student and a differently initialised teacher (small CNNs, LSQ W8A8) into the models
     * and returns 8 random images of 10 classes, in batches of 2.
     */
    private static ArrayDataset studentAndTeacher(NDManager manager, Model student, Model teacher) {
        QuantizationConfig config = QuantizationConfig.builder().setWeights(LsqQuantizer.spec(8)).optActivations(LsqQuantizer.spec(8)).build();
        student.setBlock(Quantization.wrap(TestModels.init(TestModels.smallCnn(), student.getNDManager()), config));
        Block other = TestModels.smallCnn();
        manager.getEngine().setRandomSeed(2);
        other.initialize(teacher.getNDManager(), DataType.FLOAT32, TestModels.INPUT);
        teacher.setBlock(Quantization.wrap(other, config));
        manager.getEngine().setRandomSeed(5);
        return new ArrayDataset.Builder().setData(manager.randomNormal(new Shape(8, 1, 28, 28)))
                .optLabels(manager.randomInteger(0, 10, new Shape(8), DataType.INT32).toType(DataType.FLOAT32, false))
                .setSampling(2, true).build();
    }

    @Test
    public void fineTuningWithATeacherTrainsTheStudentAndLeavesTheTeacherAlone() throws Exception {
        try (NDManager manager = NDManager.newBaseManager();
                Model student = Model.newInstance("student");
                Model teacher = Model.newInstance("teacher")) {
            ArrayDataset images = studentAndTeacher(manager, student, teacher);
            QuantizedNetwork network = (QuantizedNetwork) student.getBlock();
            // L1, not DJL's L2: its ½ is a constant over Java memory that the backward pass may read after it is freed (GraphConstants)
            Distillation kd = Distillation.builder().setTeacher(teacher.getBlock()).setImitation(Loss.l1Loss()).build();
            // a trained teacher's quantizers are calibrated: their first forward sets the activation steps
            kd.teach(manager, new NDList(manager.randomNormal(TestModels.INPUT)));
            float[] teacherBefore = values(teacher.getBlock());
            float[] studentBefore = values(network);
            new FineTuning(1, 0.05f, 0f).withDistillation(kd).run(student, network, images, TestModels.INPUT, false);
            Assert.assertEquals(values(teacher.getBlock()), teacherBefore, 0f, "the teacher never learns, nor do its BatchNorm statistics move");
            float[] after = values(network);
            double moved = 0;
            for (int i = 0; i < after.length; i++) {
                moved = Math.max(moved, Math.abs(after[i] - studentBefore[i]));
            }
            Assert.assertTrue(moved > 1e-4, "the student learns: largest change " + moved);
        }
    }

    @Test
    public void historyRecordsTheTaskLossNotTheImitation() throws Exception {
        Path csv = Files.createTempDirectory("distillation-history").resolve("history.csv");
        try (NDManager manager = NDManager.newBaseManager();
                Model student = Model.newInstance("student");
                Model teacher = Model.newInstance("teacher")) {
            ArrayDataset images = studentAndTeacher(manager, student, teacher);
            // two differently initialised networks disagree by O(0.1–1) per logit: the weighted imitation dwarfs ln 10 ≈ 2.3
            Distillation kd = Distillation.builder().setTeacher(teacher.getBlock()).setImitation(Loss.l1Loss()).optWeight(1000f).build();
            new FineTuning(1, 1e-7f, 0f).withDistillation(kd).run(student, (QuantizedNetwork) student.getBlock(), images,
                    TestModels.INPUT, false, 0, new EpochHistory(csv, 0));
            List<String> lines = Files.readAllLines(csv);
            Assert.assertEquals(lines.size(), 2, lines.toString());
            double loss = Double.parseDouble(lines.get(1).split(",")[1]);
            Assert.assertTrue(loss > 1 && loss < 5, "softmax cross-entropy of 10 classes near ln 10, got " + loss);
        }
    }

    /** Every parameter's values, in the block's parameter order. */
    private static float[] values(Block block) {
        List<Float> values = new ArrayList<>();
        for (Parameter p : block.getParameters().values()) {
            for (float v : p.getArray().toFloatArray()) {
                values.add(v);
            }
        }
        float[] flat = new float[values.size()];
        for (int i = 0; i < flat.length; i++) {
            flat[i] = values.get(i);
        }
        return flat;
    }
}
