package dev.kiln.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.autograd.Var;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Behaviour of the optimizer base and gradient clipping against naive loops: global norm and
 * clipping, value clipping, parameter groups, in-place zeroing, state round trips, parameters
 * without gradients, and the multi-threaded path for large parameters.
 */
class OptimizerBehaviourTest {

    private static Var param(Generator g, int... shape) {
        return Var.leaf(Tensor.randn(g, shape), true);
    }

    /** Makes p.grad() equal g exactly (d/dp sum(p * g) = g). */
    private static void setGrad(Var p, Tensor g) {
        p.mul(Var.constant(g)).sum().backward();
    }

    private static float[] floats(Tensor t) {
        return t.toFloatArray();
    }

    // ---------------------------------------------------------------- gradient clipping

    @Test
    void clipGradNormUsesTheGlobalNormAndScalesOnlyWhenAbove() {
        Generator gen = new Generator(1);
        List<Var> ps = List.of(param(gen, 3, 4), param(gen, 7), param(gen, 2, 2, 2));
        Var noGrad = param(gen, 5);
        List<float[]> grads = new ArrayList<>();
        for (Var p : ps) {
            Tensor g = Tensor.randn(gen, p.value().shape().toArray()).mul(3.0);
            setGrad(p, g);
            grads.add(floats(p.grad()));
        }
        double naive = 0;
        for (float[] g : grads) {
            for (float v : g) {
                naive += (double) v * v;
            }
        }
        naive = Math.sqrt(naive);
        List<Var> all = new ArrayList<>(ps);
        all.add(noGrad);

        // below the threshold: returns the norm, touches nothing
        double norm = GradClip.clipGradNorm(all, naive * 2);
        assertEquals(naive, norm, 1e-12 * naive);
        for (int i = 0; i < ps.size(); i++) {
            assertArrayEquals(grads.get(i), floats(ps.get(i).grad()), 0f, "unclipped gradient " + i);
        }
        assertNull(noGrad.grad());

        // above: every gradient scaled by maxNorm / (norm + 1e-6), the returned norm is the pre-clip one
        double maxNorm = naive / 4;
        norm = GradClip.clipGradNorm(all, maxNorm);
        assertEquals(naive, norm, 1e-12 * naive);
        double coef = maxNorm / (naive + 1e-6);
        double after = 0;
        for (int i = 0; i < ps.size(); i++) {
            float[] got = floats(ps.get(i).grad());
            for (int j = 0; j < got.length; j++) {
                double want = grads.get(i)[j] * coef;
                assertEquals(want, got[j], 1e-6 * Math.abs(want) + 1e-7, "clipped gradient " + i + "[" + j + "]");
                after += (double) got[j] * got[j];
            }
        }
        assertEquals(maxNorm, Math.sqrt(after), 1e-5 * maxNorm, "norm after clipping");
        assertThrows(IllegalArgumentException.class, () -> GradClip.clipGradNorm(all, 0));
    }

    @Test
    void clipGradValueClampsEveryElement() {
        Generator gen = new Generator(2);
        List<Var> ps = List.of(param(gen, 10, 3), param(gen, 4));
        List<float[]> grads = new ArrayList<>();
        for (Var p : ps) {
            setGrad(p, Tensor.randn(gen, p.value().shape().toArray()));
            grads.add(floats(p.grad()));
        }
        GradClip.clipGradValue(ps, 0.5);
        for (int i = 0; i < ps.size(); i++) {
            float[] got = floats(ps.get(i).grad());
            for (int j = 0; j < got.length; j++) {
                float g = grads.get(i)[j];
                assertEquals(g > 0.5f ? 0.5f : g < -0.5f ? -0.5f : g, got[j], 0f, "element " + j);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> GradClip.clipGradValue(ps, -1));
    }

    // ---------------------------------------------------------------- parameter groups

    @Test
    void eachGroupUsesItsOwnLrAndWeightDecay() {
        Generator gen = new Generator(3);
        Var a = param(gen, 6);
        Var b = param(gen, 2, 3);
        float[] a0 = floats(a.value());
        float[] b0 = floats(b.value());
        Tensor ga = Tensor.randn(gen, 6);
        Tensor gb = Tensor.randn(gen, 2, 3);
        SGD sgd = SGD.builder(new ParamGroup(List.of(a), 0.1, 0.01), new ParamGroup(List.of(b), 0.5, 0.0)).build();
        setGrad(a, ga);
        setGrad(b, gb);
        sgd.step();
        float[] gaf = floats(ga);
        float[] gbf = floats(gb);
        float[] a1 = floats(a.value());
        float[] b1 = floats(b.value());
        for (int i = 0; i < 6; i++) {
            double want = a0[i] - 0.1 * (gaf[i] + 0.01 * a0[i]);
            assertEquals(want, a1[i], 1e-6 * (1 + Math.abs(want)), "group 0 element " + i);
            double wantB = b0[i] - 0.5 * gbf[i];
            assertEquals(wantB, b1[i], 1e-6 * (1 + Math.abs(wantB)), "group 1 element " + i);
        }
        // a schedule-style change of one group's lr affects that group only
        sgd.paramGroups().get(1).setLr(0);
        sgd.step();
        assertArrayEquals(b1, floats(b.value()), 0f, "lr 0 leaves group 1 unchanged");
        assertFalse(java.util.Arrays.equals(a1, floats(a.value())), "group 0 still moves");
    }

    @Test
    void aParameterInTwoGroupsIsAnError() {
        Generator gen = new Generator(4);
        Var a = param(gen, 3);
        Var b = param(gen, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AdamW.builder(List.of(a, b, a)).lr(1e-3).weightDecay(0).build());
        assertTrue(e.getMessage().contains("one group"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SGD.builder(new ParamGroup(List.of(a), 0.1, 0),
                new ParamGroup(List.of(b, a), 0.1, 0)).build());
        assertTrue(e.getMessage().contains("groups 0 and 1"), e.getMessage());
    }

    // ---------------------------------------------------------------- zeroGrad

    @Test
    void zeroGradFalseZeroesInPlaceAndTrueDrops() {
        Generator gen = new Generator(5);
        Var a = param(gen, 4, 5);
        Var none = param(gen, 2);
        setGrad(a, Tensor.randn(gen, 4, 5));
        Tensor before = a.grad();
        SGD sgd = new SGD(List.of(a, none), 0.1);
        sgd.zeroGrad(false);
        assertSame(before, a.grad(), "zeroGrad(false) keeps the gradient tensor");
        assertArrayEquals(new float[20], floats(a.grad()), 0f);
        assertNull(none.grad(), "a parameter without a gradient stays without one");
        sgd.zeroGrad(true);
        assertNull(a.grad());
    }

    // ---------------------------------------------------------------- state

    private static List<Tensor> randomGrads(Generator gen, List<Var> ps) {
        List<Tensor> out = new ArrayList<>();
        for (Var p : ps) {
            out.add(Tensor.randn(gen, p.value().shape().toArray()));
        }
        return out;
    }

    private static void stepWith(Optimizer opt, List<Var> ps, List<Tensor> grads) {
        opt.zeroGrad();
        for (int i = 0; i < ps.size(); i++) {
            setGrad(ps.get(i), grads.get(i));
        }
        opt.step();
    }

    private static List<Var> copies(List<Var> ps) {
        List<Var> out = new ArrayList<>();
        for (Var p : ps) {
            out.add(Var.leaf(p.value().copy(), true));
        }
        return out;
    }

    @Test
    void stateRoundTripContinuesIdentically() {
        List<Function<List<Var>, Optimizer>> makers = List.of(
                ps -> AdamW.builder(ps).lr(1e-2).weightDecay(0.1).build(),
                ps -> Adam.builder(ps).lr(1e-2).weightDecay(0.01).betas(0.9, 0.99).amsgrad(true).build(),
                ps -> SGD.builder(ps).lr(0.05).momentum(0.9).weightDecay(0.01).build(),
                ps -> RMSprop.builder(ps).lr(0.01).momentum(0.9).centered(true).build(),
                ps -> Adagrad.builder(ps).lr(0.1).initialAccumulatorValue(0.1).build());
        for (int m = 0; m < makers.size(); m++) {
            Generator gen = new Generator(10 + m);
            List<Var> ps = List.of(param(gen, 5, 3), param(gen, 8));
            Optimizer a = makers.get(m).apply(ps);
            for (int s = 0; s < 3; s++) {
                stepWith(a, ps, randomGrads(gen, ps));
            }
            List<Var> qs = copies(ps);
            Optimizer b = makers.get(m).apply(qs);
            b.loadStateTensors(a.stateTensors());
            for (int s = 0; s < 4; s++) {
                List<Tensor> grads = randomGrads(gen, ps);
                stepWith(a, ps, grads);
                stepWith(b, qs, grads);
            }
            for (int i = 0; i < ps.size(); i++) {
                assertArrayEquals(floats(ps.get(i).value()), floats(qs.get(i).value()), 0f,
                        a.getClass().getSimpleName() + " (" + m + ") parameter " + i + " after resuming");
            }
        }
    }

    @Test
    void loadStateTensorsRejectsForeignState() {
        Generator gen = new Generator(20);
        List<Var> ps = List.of(param(gen, 3));
        AdamW a = AdamW.builder(ps).lr(1e-3).weightDecay(0).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> a.loadStateTensors(Map.of("0.0.exp_avg", Tensor.zeros(4))));
        assertTrue(e.getMessage().contains("shape"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> a.loadStateTensors(Map.of("1.0.exp_avg", Tensor.zeros(3))));
        assertTrue(e.getMessage().contains("names no parameter"), e.getMessage());
    }

    @Test
    void parametersWithoutGradientsAreSkipped() {
        Generator gen = new Generator(30);
        Var a = param(gen, 4);
        Var b = param(gen, 4);
        float[] b0 = floats(b.value());
        AdamW opt = AdamW.builder(List.of(a, b)).lr(0.1).weightDecay(0.1).build();
        for (int s = 0; s < 3; s++) {
            opt.zeroGrad();
            setGrad(a, Tensor.randn(gen, 4));
            opt.step();
        }
        assertArrayEquals(b0, floats(b.value()), 0f, "no gradient: no update, not even weight decay");
        assertTrue(opt.stateTensors().keySet().stream().noneMatch(k -> k.startsWith("0.1.")),
                "no state for a parameter never stepped: " + opt.stateTensors().keySet());
        // b's first real step is a first step (bias correction at t = 1), as for a fresh optimizer
        Tensor g = Tensor.randn(gen, 4);
        Var fresh = Var.leaf(b.value().copy(), true);
        AdamW ref = AdamW.builder(List.of(fresh)).lr(0.1).weightDecay(0.1).build();
        opt.zeroGrad();
        setGrad(b, g);
        opt.step();
        setGrad(fresh, g);
        ref.step();
        assertArrayEquals(floats(fresh.value()), floats(b.value()), 0f);
    }

    @Test
    void aLargeParameterUpdatesLikeTheSameParameterSplitSmall() {
        int n = 100_003; // above the 65536-element grain: the update runs in parallel ranges
        int cut = 40_000;
        List<Function<List<Var>, Optimizer>> makers = List.of(
                ps -> AdamW.builder(ps).lr(1e-2).weightDecay(0.1).build(),
                ps -> Adam.builder(ps).lr(1e-2).weightDecay(0.01).amsgrad(true).build(),
                ps -> SGD.builder(ps).lr(0.05).momentum(0.9).weightDecay(0.01).build(),
                ps -> RMSprop.builder(ps).lr(0.01).weightDecay(0.01).momentum(0.5).centered(true).build(),
                ps -> Adagrad.builder(ps).lr(0.1).weightDecay(0.01).initialAccumulatorValue(0.1).build());
        for (int m = 0; m < makers.size(); m++) {
            Generator gen = new Generator(40 + m);
            Tensor init = Tensor.randn(gen, n);
            Var big = Var.leaf(init.copy(), true);
            Var lo = Var.leaf(init.narrow(0, 0, cut).contiguous().copy(), true);
            Var hi = Var.leaf(init.narrow(0, cut, n - cut).contiguous().copy(), true);
            Optimizer whole = makers.get(m).apply(List.of(big));
            Optimizer split = makers.get(m).apply(List.of(lo, hi));
            for (int s = 0; s < 3; s++) {
                Tensor g = Tensor.randn(gen, n);
                stepWith(whole, List.of(big), List.of(g));
                stepWith(split, List.of(lo, hi), List.of(g.narrow(0, 0, cut).contiguous(), g.narrow(0, cut, n - cut).contiguous()));
            }
            float[] want = new float[n];
            System.arraycopy(floats(lo.value()), 0, want, 0, cut);
            System.arraycopy(floats(hi.value()), 0, want, cut, n - cut);
            assertArrayEquals(want, floats(big.value()), 0f, whole.getClass().getSimpleName() + " (" + m + ")");
        }
    }
}
