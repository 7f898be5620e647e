package dev.kiln.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.autograd.GoldenFixture;
import dev.kiln.autograd.Var;
import dev.kiln.tensor.Tensor;
import java.io.IOException;
import java.util.List;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/**
 * Every optimizer configuration steps 10 times on the fixture's fixed gradients and must land on
 * PyTorch's float32 parameters to 1e-6 relative (to the tensor's scale); schedules must reproduce
 * torch's learning rates.
 */
class OptimizerGoldenTest {
    private static final double RTOL = 1e-6;

    private static void run(GoldenFixture f, String name, BiFunction<Var, Var, Optimizer> make) {
        Var p0 = Var.leaf(f.f32("p0"), true);
        Var p1 = Var.leaf(f.f32("p1"), true);
        Optimizer opt = make.apply(p0, p1);
        for (int s = 0; s < 10; s++) {
            Tensor g0 = f.f32("grad" + s + ".p0");
            Tensor g1 = f.f32("grad" + s + ".p1");
            opt.zeroGrad();
            p0.mul(Var.constant(g0)).sum().add(p1.mul(Var.constant(g1)).sum()).backward(); // grads = g0, g1 exactly
            opt.step();
        }
        // Relative to each tensor's scale: a parameter element near 0 after 10 updates carries the
        // float32 rounding of values near 1 (torch's and Kiln's operation orders differ in the last bit).
        f.assertMatches(name + ".p0", p0.value(), RTOL, 1.0);
        f.assertMatches(name + ".p1", p1.value(), RTOL, 1.0);
    }

    private static List<ParamGroup> one(Var a, Var b, double lr, double wd) {
        return List.of(new ParamGroup(List.of(a, b), lr, wd));
    }

    @Test
    void optimizersMatchPytorch() throws IOException {
        GoldenFixture f = GoldenFixture.load(OptimizerGoldenTest.class, "/golden/optimizers.txt");
        run(f, "sgd", (a, b) -> new SGD(List.of(a, b), 0.1));
        run(f, "sgd_momentum_dampening_wd", (a, b) -> new SGD(one(a, b, 0.05, 0.01), 0.9, 0.1, false));
        run(f, "sgd_nesterov", (a, b) -> new SGD(one(a, b, 0.05, 0.001), 0.9, 0, true));
        run(f, "adam_wd", (a, b) -> new Adam(one(a, b, 0.01, 0.02), 0.9, 0.99, 1e-8, false, false));
        run(f, "adam_amsgrad", (a, b) -> new Adam(one(a, b, 0.01, 0), 0.9, 0.999, 1e-8, false, true));
        run(f, "adamw_groups", (a, b) -> new Adam(List.of(new ParamGroup(List.of(a), 0.01, 0.1),
                new ParamGroup(List.of(b), 0.02, 0.0)), 0.9, 0.999, 1e-8, true, false));
        run(f, "adamw_amsgrad", (a, b) -> new Adam(one(a, b, 0.005, 0.05), 0.9, 0.999, 1e-8, true, true));
        run(f, "rmsprop", (a, b) -> new RMSprop(List.of(a, b), 0.01));
        run(f, "rmsprop_centered_momentum_wd", (a, b) -> new RMSprop(one(a, b, 0.01, 0.01), 0.9, 1e-6, 0.5, true));
        run(f, "adagrad", (a, b) -> new Adagrad(one(a, b, 0.1, 0.01), 0.01, 0.1, 1e-10));
    }

    private static void checkSchedule(GoldenFixture f, String name, LrSchedule schedule) {
        double[] want = f.entry(name).values();
        Var p = Var.leaf(Tensor.zeros(1), true);
        Optimizer opt = new SGD(List.of(p), 0.1);
        LrScheduler sched = new LrScheduler(opt, schedule);
        for (int s = 0; s < want.length; s++) {
            assertEquals(want[s], sched.lr(0), 1e-12 * Math.max(1, Math.abs(want[s])), name + " at step " + s);
            sched.step();
        }
    }

    @Test
    void schedulesMatchPytorch() throws IOException {
        GoldenFixture f = GoldenFixture.load(OptimizerGoldenTest.class, "/golden/schedules.txt");
        checkSchedule(f, "step", LrSchedule.step(10, 0.5));
        checkSchedule(f, "multistep", LrSchedule.multiStep(new int[] {5, 12, 30}, 0.3));
        checkSchedule(f, "exponential", LrSchedule.exponential(0.95));
        checkSchedule(f, "cosine", LrSchedule.cosine(15, 0.001));
        checkSchedule(f, "onecycle", LrSchedule.oneCycle(0.1, 40, 0.3, 25, 1e4));

        double[] metrics = f.entry("plateau.metrics").values();
        double[] want = f.entry("plateau").values();
        Var p = Var.leaf(Tensor.zeros(1), true);
        Optimizer opt = new SGD(List.of(p), 0.1);
        ReduceLrOnPlateau plateau = new ReduceLrOnPlateau(opt, 0.5, 2, 1e-2, 1, 0.01);
        for (int i = 0; i < metrics.length; i++) {
            plateau.step(metrics[i]);
            assertEquals(want[i], opt.paramGroups().get(0).lr(), 1e-15, "plateau after metric " + i);
        }
    }
}
