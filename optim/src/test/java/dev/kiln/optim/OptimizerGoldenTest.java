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

    private static ParamGroup g(Var p) {
        return new ParamGroup(List.of(p));
    }

    @Test
    void optimizersMatchPytorch() throws IOException {
        GoldenFixture f = GoldenFixture.load(OptimizerGoldenTest.class, "/golden/optimizers.txt");
        run(f, "sgd", (a, b) -> new SGD(List.of(a, b), 0.1));
        run(f, "sgd_momentum_dampening_wd", (a, b) -> SGD.builder(List.of(a, b)).lr(0.05).momentum(0.9).dampening(0.1)
                .weightDecay(0.01).build());
        run(f, "sgd_nesterov", (a, b) -> SGD.builder(List.of(a, b)).lr(0.05).momentum(0.9).nesterov(true).weightDecay(0.001)
                .build());
        run(f, "adam_wd", (a, b) -> Adam.builder(List.of(a, b)).lr(0.01).betas(0.9, 0.99).eps(1e-8).weightDecay(0.02).build());
        run(f, "adam_amsgrad", (a, b) -> Adam.builder(List.of(a, b)).lr(0.01).amsgrad(true).build());
        run(f, "adamw_groups", (a, b) -> AdamW.builder(g(a).weightDecay(0.1), g(b).weightDecay(0).lr(0.02)).lr(0.01).build());
        run(f, "adamw_amsgrad", (a, b) -> AdamW.builder(List.of(a, b)).lr(0.005).weightDecay(0.05).amsgrad(true).build());
        run(f, "rmsprop", (a, b) -> new RMSprop(List.of(a, b), 0.01));
        run(f, "rmsprop_centered_momentum_wd", (a, b) -> RMSprop.builder(List.of(a, b)).lr(0.01).alpha(0.9).eps(1e-6)
                .weightDecay(0.01).momentum(0.5).centered(true).build());
        run(f, "adagrad", (a, b) -> Adagrad.builder(List.of(a, b)).lr(0.1).lrDecay(0.01).weightDecay(0.01)
                .initialAccumulatorValue(0.1).eps(1e-10).build());
    }

    @Test
    void perGroupHyperParametersMatchPytorch() throws IOException {
        GoldenFixture f = GoldenFixture.load(OptimizerGoldenTest.class, "/golden/optimizers.txt");
        run(f, "sgd_groups", (a, b) -> SGD.builder(g(a).momentum(0.9).nesterov(true), g(b).momentum(0.5).dampening(0.3).lr(0.02))
                .lr(0.05).weightDecay(0.01).build());
        run(f, "adam_groups", (a, b) -> Adam.builder(g(a).betas(0.8, 0.95).eps(1e-6), g(b).amsgrad(true).weightDecay(0.1))
                .lr(0.01).betas(0.9, 0.99).build());
        run(f, "adamw_groups_betas", (a, b) -> AdamW.builder(g(a).betas(0.5, 0.9), g(b).lr(0.03).amsgrad(true)).lr(0.01).build());
        run(f, "rmsprop_groups", (a, b) -> RMSprop.builder(g(a).alpha(0.8).centered(true), g(b).momentum(0.7).eps(1e-4))
                .lr(0.01).build());
        run(f, "adagrad_groups", (a, b) -> Adagrad.builder(g(a).lrDecay(0.1), g(b).eps(1e-3).lr(0.3))
                .lr(0.1).initialAccumulatorValue(0.2).build());
    }

    @Test
    void adamWDefaultsMatchPytorch() throws IOException {
        GoldenFixture f = GoldenFixture.load(OptimizerGoldenTest.class, "/golden/optimizers.txt");
        run(f, "adamw_default", (a, b) -> AdamW.builder(List.of(a, b)).build()); // lr 1e-3, weight decay 0.01
        run(f, "adamw_betas_eps", (a, b) -> AdamW.builder(List.of(a, b)).lr(0.02).betas(0.85, 0.98).eps(1e-5).build());
    }

    @Test
    void maximizeMatchesPytorch() throws IOException {
        GoldenFixture f = GoldenFixture.load(OptimizerGoldenTest.class, "/golden/optimizers.txt");
        run(f, "sgd_maximize", (a, b) -> SGD.builder(List.of(a, b)).lr(0.05).momentum(0.9).weightDecay(0.01).maximize(true)
                .build());
        run(f, "adam_maximize", (a, b) -> Adam.builder(List.of(a, b)).lr(0.01).weightDecay(0.02).maximize(true).build());
        run(f, "adamw_maximize", (a, b) -> AdamW.builder(List.of(a, b)).lr(0.01).maximize(true).build());
        run(f, "rmsprop_maximize", (a, b) -> RMSprop.builder(List.of(a, b)).lr(0.01).momentum(0.5).centered(true)
                .weightDecay(0.01).maximize(true).build());
        run(f, "adagrad_maximize", (a, b) -> Adagrad.builder(List.of(a, b)).lr(0.1).weightDecay(0.01).maximize(true).build());
        run(f, "maximize_one_group", (a, b) -> SGD.builder(g(a).maximize(true), g(b)).lr(0.1).build());
    }

    private static void checkSchedule(GoldenFixture f, String name, LrSchedule schedule) {
        double[] want = f.entry(name).values();
        Var p = Var.leaf(Tensor.zeros(1), true);
        Optimizer opt = new SGD(List.of(p), 0.1);
        LrScheduler sched = new LrScheduler(opt, schedule);
        for (int s = 0; s < want.length; s++) {
            assertEquals(want[s], sched.lr(0), 1e-12 * Math.abs(want[s]), name + " at step " + s);
            sched.step();
        }
    }

    /** lr and momentum (SGD's momentum or Adam's beta1) per step, against torch's. */
    private static void checkMomentumSchedule(GoldenFixture f, String name, Optimizer opt, LrSchedule schedule) {
        double[] wantLr = f.entry(name + ".lr").values();
        double[] wantMomentum = f.entry(name + ".momentum").values();
        LrScheduler sched = new LrScheduler(opt, schedule);
        for (int s = 0; s < wantLr.length; s++) {
            assertEquals(wantLr[s], sched.lr(0), 1e-12 * Math.abs(wantLr[s]), name + " lr at step " + s);
            assertEquals(wantMomentum[s], sched.momentum(0), 1e-12 * Math.abs(wantMomentum[s]), name + " momentum at step " + s);
            sched.step();
        }
    }

    @Test
    void linearChainedAndSequentialSchedulesMatchPytorch() throws IOException {
        GoldenFixture f = GoldenFixture.load(OptimizerGoldenTest.class, "/golden/schedules.txt");
        checkSchedule(f, "linear_default", LrSchedule.linear());
        checkSchedule(f, "linear", LrSchedule.linear(0.5, 0.1, 17));
        checkSchedule(f, "chained_linear_exponential", LrSchedule.chain(LrSchedule.linear(0.2, 1, 8), LrSchedule.exponential(0.9)));
        checkSchedule(f, "chained_step_multistep", LrSchedule.chain(LrSchedule.step(7, 0.5),
                LrSchedule.multiStep(new int[] {10, 25}, 0.1)));
        checkSchedule(f, "sequential_linear_cosine", LrSchedule.sequential(List.of(LrSchedule.linear(0.1, 1, 5),
                LrSchedule.cosine(30, 0.002)), 5));
        checkSchedule(f, "sequential_three", LrSchedule.sequential(List.of(LrSchedule.constant(0.1, 4),
                LrSchedule.exponential(0.9), LrSchedule.step(5, 0.5)), 4, 20));
    }

    @Test
    void oneCycleCyclesMomentumAsPytorch() throws IOException {
        GoldenFixture f = GoldenFixture.load(OptimizerGoldenTest.class, "/golden/schedules.txt");
        Var p = Var.leaf(Tensor.zeros(1), true);
        checkMomentumSchedule(f, "onecycle_sgd", SGD.builder(List.of(p)).lr(0.1).momentum(0.9).build(),
                OneCycle.builder(0.1, 40).build());
        checkMomentumSchedule(f, "onecycle_adam", new Adam(List.of(p), 0.1),
                OneCycle.builder(0.05, 40).pctStart(0.25).baseMomentum(0.8).maxMomentum(0.9).build());
        checkMomentumSchedule(f, "onecycle_three_phase_linear", SGD.builder(List.of(p)).lr(0.1).momentum(0.9).build(),
                OneCycle.builder(0.2, 40).threePhase(true).anneal(OneCycle.Anneal.LINEAR).divFactor(10).finalDivFactor(100)
                        .build());
    }

    @Test
    void schedulesMatchPytorch() throws IOException {
        GoldenFixture f = GoldenFixture.load(OptimizerGoldenTest.class, "/golden/schedules.txt");
        checkSchedule(f, "step", LrSchedule.step(10, 0.5));
        checkSchedule(f, "multistep", LrSchedule.multiStep(new int[] {5, 12, 30}, 0.3));
        checkSchedule(f, "exponential", LrSchedule.exponential(0.95));
        checkSchedule(f, "cosine", LrSchedule.cosine(15, 0.001));
        checkSchedule(f, "onecycle", OneCycle.builder(0.1, 40).pctStart(0.3).divFactor(25).finalDivFactor(1e4)
                .cycleMomentum(false).build());

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
