package dev.kiln.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.autograd.Var;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The builders' defaults (torch's), per-group overrides and their checks, one scheduler per
 * optimizer, and momentum cycling only where the optimizer has momentum or betas.
 */
class OptimizerApiTest {
    private static Var param(Generator g, int... shape) {
        return Var.leaf(Tensor.randn(g, shape), true);
    }

    @Test
    void buildersCarryTorchsDefaults() {
        Generator gen = new Generator(1);
        List<Var> ps = List.of(param(gen, 3));
        assertEquals(Map.of("lr", 1e-3, "weight_decay", 0.0, "maximize", false, "beta1", 0.9, "beta2", 0.999, "eps", 1e-8,
                "amsgrad", false), Adam.builder(ps).build().defaults());
        assertEquals(Map.of("lr", 1e-3, "weight_decay", 0.01, "maximize", false, "beta1", 0.9, "beta2", 0.999, "eps", 1e-8,
                "amsgrad", false), AdamW.builder(ps).build().defaults());
        assertEquals(Map.of("lr", 0.1, "weight_decay", 0.0, "maximize", false, "momentum", 0.0, "dampening", 0.0,
                "nesterov", false), SGD.builder(ps).lr(0.1).build().defaults());
        assertEquals(Map.of("lr", 1e-2, "weight_decay", 0.0, "maximize", false, "alpha", 0.99, "eps", 1e-8, "momentum", 0.0,
                "centered", false), RMSprop.builder(ps).build().defaults());
        assertEquals(Map.of("lr", 1e-2, "weight_decay", 0.0, "maximize", false, "lr_decay", 0.0,
                "initial_accumulator_value", 0.0, "eps", 1e-10), Adagrad.builder(ps).build().defaults());
    }

    @Test
    void aGroupOverridesOnlyWhatItSets() {
        Generator gen = new Generator(2);
        ParamGroup a = new ParamGroup(List.of(param(gen, 2))).betas(0.5, 0.6);
        ParamGroup b = new ParamGroup(List.of(param(gen, 2))).lr(0.3).amsgrad(true);
        AdamW opt = AdamW.builder(a, b).lr(0.01).betas(0.8, 0.9).eps(1e-6).build();
        assertEquals(0.5, a.getDouble(ParamGroup.BETA1));
        assertEquals(0.6, a.getDouble(ParamGroup.BETA2));
        assertEquals(0.01, a.lr());
        assertFalse(a.getBoolean(ParamGroup.AMSGRAD));
        assertEquals(0.8, b.getDouble(ParamGroup.BETA1));
        assertEquals(0.3, b.lr());
        assertTrue(b.getBoolean(ParamGroup.AMSGRAD));
        assertEquals(1e-6, b.getDouble(ParamGroup.EPS));
        assertEquals(0.01, b.weightDecay());
        assertEquals(List.of(a, b), opt.paramGroups());
    }

    @Test
    void badSettingsAreRejectedWithNamesAndValues() {
        Generator gen = new Generator(3);
        Var p = param(gen, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Adam.builder(new ParamGroup(List.of(p)).momentum(0.9)).build());
        assertTrue(e.getMessage().contains("'momentum'") && e.getMessage().contains("Adam"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SGD.builder(List.of(p)).momentum(0.9).build());
        assertTrue(e.getMessage().contains("'lr' is required"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SGD.builder(new ParamGroup(List.of(p)).nesterov(true)).lr(0.1)
                .build());
        assertTrue(e.getMessage().contains("SGD group 0") && e.getMessage().contains("Nesterov"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Adam.builder(List.of(p)).betas(0.9, 1.0));
        assertTrue(e.getMessage().contains("betas[1]") && e.getMessage().contains("1.0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> RMSprop.builder(List.of(p)).eps(-1));
        assertTrue(e.getMessage().contains("eps") && e.getMessage().contains("-1.0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ParamGroup(List.of(p)).set("beta1", 1.5));
        assertTrue(e.getMessage().contains("beta1") && e.getMessage().contains("1.5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Adam.builder(new ParamGroup(List.of(p)).set("amsgrad", 1.0)).build());
        assertTrue(e.getMessage().contains("'amsgrad'") && e.getMessage().contains("Boolean"), e.getMessage());
    }

    @Test
    void maximizeEqualsMinimizingTheNegatedGradient() {
        Generator gen = new Generator(4);
        Tensor init = Tensor.randn(gen, 6);
        Var up = Var.leaf(init.copy(), true);
        Var down = Var.leaf(init.copy(), true);
        Optimizer maximize = Adam.builder(List.of(up)).lr(0.1).weightDecay(0.05).maximize(true).build();
        Optimizer minimize = Adam.builder(List.of(down)).lr(0.1).weightDecay(0.05).build();
        for (int s = 0; s < 4; s++) {
            Tensor g = Tensor.randn(gen, 6);
            maximize.zeroGrad();
            minimize.zeroGrad();
            up.mul(Var.constant(g)).sum().backward();
            down.mul(Var.constant(g.neg())).sum().backward();
            maximize.step();
            minimize.step();
            assertArrayEquals(g.toFloatArray(), up.grad().toFloatArray(), "the gradient itself is not negated in place");
        }
        assertArrayEquals(down.value().toFloatArray(), up.value().toFloatArray(), 0f);
    }

    /** torch 1.13 ignores a group's initial_accumulator_value (it uses the constructor's); Kiln honours it. */
    @Test
    void adagradUsesEachGroupsInitialAccumulator() {
        Generator gen = new Generator(7);
        Var a = param(gen, 5);
        Var b = param(gen, 5);
        float[] a0 = a.value().toFloatArray();
        float[] b0 = b.value().toFloatArray();
        Tensor g = Tensor.randn(gen, 5);
        Adagrad opt = Adagrad.builder(new ParamGroup(List.of(a)).initialAccumulatorValue(0.5), new ParamGroup(List.of(b)))
                .lr(0.1).initialAccumulatorValue(2.0).build();
        a.mul(Var.constant(g)).sum().backward();
        b.mul(Var.constant(g)).sum().backward();
        opt.step();
        float[] gf = g.toFloatArray();
        for (int i = 0; i < 5; i++) {
            double wantA = a0[i] - 0.1 * gf[i] / (Math.sqrt(0.5 + (double) gf[i] * gf[i]) + 1e-10);
            double wantB = b0[i] - 0.1 * gf[i] / (Math.sqrt(2.0 + (double) gf[i] * gf[i]) + 1e-10);
            assertEquals(wantA, a.value().toFloatArray()[i], 1e-6 * (1 + Math.abs(wantA)), "group 0 element " + i);
            assertEquals(wantB, b.value().toFloatArray()[i], 1e-6 * (1 + Math.abs(wantB)), "group 1 element " + i);
        }
    }

    @Test
    void aSecondSchedulerOnOneOptimizerIsRefused() {
        Optimizer opt = new SGD(List.of(param(new Generator(5), 2)), 0.1);
        new LrScheduler(opt, LrSchedule.exponential(0.9));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new LrScheduler(opt, LrSchedule.step(2, 0.5)));
        assertTrue(e.getMessage().contains("LrSchedule.chain"), e.getMessage());
    }

    @Test
    void momentumCyclingNeedsMomentumOrBetas() {
        Optimizer opt = new Adagrad(List.of(param(new Generator(6), 2)), 0.1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new LrScheduler(opt, OneCycle.builder(0.1, 10).build()));
        assertTrue(e.getMessage().contains("Adagrad") && e.getMessage().contains("cycleMomentum"), e.getMessage());
        // without cycling it drives the lr alone
        LrScheduler s = new LrScheduler(opt, OneCycle.builder(0.1, 10).cycleMomentum(false).build());
        assertEquals(0.1 / 25, s.lr(0), 1e-15);
    }

    @Test
    void schedulesCheckTheirArguments() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LrSchedule.sequential(List.of(LrSchedule.constant()), 3));
        assertTrue(e.getMessage().contains("1 schedules") && e.getMessage().contains("[3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> LrSchedule.sequential(List.of(LrSchedule.constant(), LrSchedule.constant(), LrSchedule.constant()), 5, 5));
        assertTrue(e.getMessage().contains("strictly increasing"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> LrSchedule.linear(0, 1, 5));
        assertTrue(e.getMessage().contains("startFactor"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> OneCycle.builder(0.1, 10).pctStart(1.2));
        assertTrue(e.getMessage().contains("pctStart") && e.getMessage().contains("1.2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> LrSchedule.chain());
        assertTrue(e.getMessage().contains("chain"), e.getMessage());
    }
}
