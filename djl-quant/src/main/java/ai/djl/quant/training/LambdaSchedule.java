package ai.djl.quant.training;

import java.util.Arrays;

/**
 * The blending factor λ of the shift quantizer as a function of training progress: λ = 1 is the
 * float model, λ = 0 the hard quantizer.
 *
 * <p>Progress is measured in epochs as a real number ({@code epoch + step/stepsPerEpoch}, from 0),
 * so the same schedule can be advanced per epoch or per step.
 */
@FunctionalInterface
public interface LambdaSchedule {

    /**
     * Returns λ at a point of training.
     *
     * @param progress epochs done, fractional part included, from 0
     * @return λ in {@code [0, 1]}
     */
    float lambda(double progress);

    /**
     * Whether λ changes inside an epoch (then the listener updates it every step).
     *
     * @return true for per-step schedules
     */
    default boolean perStep() {
        return false;
    }

    /**
     * The reference 15-epoch schedule: epoch 1 λ=1, 2–4 1/2, 5–7 1/4, 8–10 1/8, 11–12 1/16, 13
     * 1/32, 14 1/64, 15 1/128.
     *
     * @return the schedule
     */
    static LambdaSchedule reference() {
        return perEpoch(
                1f, 0.5f, 0.5f, 0.5f, 0.25f, 0.25f, 0.25f, 0.125f, 0.125f, 0.125f, 1 / 16f, 1 / 16f,
                1 / 32f, 1 / 64f, 1 / 128f);
    }

    /**
     * One λ per epoch; the last value holds after the list ends.
     *
     * @param values λ of epoch 1, 2, …
     * @return the schedule
     */
    static LambdaSchedule perEpoch(float... values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("a λ schedule needs at least one value");
        }
        for (float v : values) {
            if (!(v >= 0 && v <= 1)) {
                throw new IllegalArgumentException("λ must be in [0, 1]: " + Arrays.toString(values));
            }
        }
        float[] copy = values.clone();
        return progress -> copy[(int) Math.min(copy.length - 1, Math.floor(progress))];
    }

    /**
     * Halving: λ = 1 during {@code warmup} epochs, then halves every {@code period} epochs, and
     * holds {@code floor} from there on.
     *
     * @param warmup epochs at λ = 1
     * @param period epochs (may be fractional) per halving
     * @param floor the smallest λ
     * @return a per-step schedule
     */
    static LambdaSchedule halving(double warmup, double period, float floor) {
        return new LambdaSchedule() {
            @Override
            public float lambda(double progress) {
                if (progress < warmup) {
                    return 1f;
                }
                double halvings = Math.floor((progress - warmup) / period) + 1;
                return (float) Math.max(floor, Math.pow(0.5, halvings));
            }

            @Override
            public boolean perStep() {
                return true;
            }
        };
    }

    /**
     * Cosine from 1 to 0 over {@code epochs}, then 0.
     *
     * @param epochs the length of the decay
     * @return a per-step schedule
     */
    static LambdaSchedule cosine(double epochs) {
        return new LambdaSchedule() {
            @Override
            public float lambda(double progress) {
                double t = Math.min(1, progress / epochs);
                return (float) (0.5 * (1 + Math.cos(Math.PI * t)));
            }

            @Override
            public boolean perStep() {
                return true;
            }
        };
    }

    /**
     * Runs a schedule over another number of epochs, advanced per step: {@code stretch(reference(),
     * 15, 3)} is the reference schedule compressed into 3 epochs.
     *
     * @param schedule the schedule
     * @param fromEpochs the length it was written for
     * @param toEpochs the length to run it over
     * @return a per-step schedule
     */
    static LambdaSchedule stretch(LambdaSchedule schedule, double fromEpochs, double toEpochs) {
        double factor = fromEpochs / toEpochs;
        return new LambdaSchedule() {
            @Override
            public float lambda(double progress) {
                return schedule.lambda(progress * factor);
            }

            @Override
            public boolean perStep() {
                return true;
            }
        };
    }
}
