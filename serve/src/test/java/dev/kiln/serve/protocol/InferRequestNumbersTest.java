package dev.kiln.serve.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.serve.ServeException;
import dev.kiln.serve.model.InferTensor;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Tensor numbers parse to exactly the doubles the JDK's {@link Double#parseDouble} gives for the
 * same text, now that the request parser uses Jackson's fast double parser: shortest-repr doubles
 * (what Python's json and Java write, x / 255 included), short decimals, exponents, integers,
 * negatives and values near the subnormal and overflow edges.
 */
class InferRequestNumbersTest {
    @Test
    void numbersParseExactlyAsTheJdkParsesThem() {
        SplittableRandom rnd = new SplittableRandom(15);
        List<String> texts = new ArrayList<>();
        for (int b = 0; b < 256; b++) {
            texts.add(Double.toString(b / 255.0));
        }
        for (int i = 0; i < 4000; i++) {
            texts.add(Double.toString(rnd.nextDouble()));
            texts.add(Double.toString(Double.longBitsToDouble(rnd.nextLong() & 0x7fefffffffffffffL)));
            texts.add(String.format(java.util.Locale.ROOT, "%.3f", rnd.nextDouble(-10, 10)));
            texts.add(Float.toString((float) rnd.nextGaussian()));
            texts.add(Long.toString(rnd.nextLong(-1_000_000, 1_000_000)));
            texts.add(rnd.nextInt(1, 10) + "." + rnd.nextInt(0, 1000) + "e" + rnd.nextInt(-320, 308)); // 1e308 and up overflow: a 400
        }
        texts.addAll(List.of("4.9e-324", "2.2250738585072014E-308", "1.7976931348623157E308", "-0.0", "0.1", "1e-7"));
        String body = "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP64\",\"shape\":[" + texts.size() + "],\"data\":["
                + String.join(",", texts) + "]}]}";
        InferTensor t = InferRequest.parse(body.getBytes(StandardCharsets.UTF_8), new ObjectMapper()).inputs().getFirst();
        double[] got = t.numbers();
        assertEquals(texts.size(), got.length);
        for (int i = 0; i < got.length; i++) {
            double want = Double.parseDouble(texts.get(i));
            assertEquals(Double.doubleToRawLongBits(want), Double.doubleToRawLongBits(got[i]), "\"" + texts.get(i) + "\"");
        }
    }

    private static double parseOne(String datatype, String number) {
        String body = "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"" + datatype + "\",\"shape\":[2],\"data\":[0," + number + "]}]}";
        return InferRequest.parse(body.getBytes(StandardCharsets.UTF_8), new ObjectMapper()).inputs().getFirst().numbers()[1];
    }

    @Test
    void floatsOutsideTheirDatatypeAre400NamingTheElement() {
        String[][] refused = {{"FP64", "1e309"}, {"FP64", "-2e308"}, {"FP32", "1e39"}, {"FP32", "-3.5e38"}, {"FP16", "65505"},
                {"FP16", "-1e5"}};
        for (String[] c : refused) {
            ServeException e = assertThrows(ServeException.class, () -> parseOne(c[0], c[1]), c[0] + " " + c[1]);
            assertEquals(400, e.status());
            assertEquals("inputs[0].data[1]", e.getMessage().substring(0, e.getMessage().indexOf(':')), e.getMessage());
        }
        String[][] accepted = {{"FP64", "1.7976931348623157E308"}, {"FP32", "3.4028234e38"}, {"FP32", "-1e-45"}, {"FP16", "-65504"},
                {"INT64", "1e30"}, {"BOOL", "7"}}; // integer datatypes: the model's own checks
        for (String[] c : accepted) {
            assertEquals(Double.parseDouble(c[1]), parseOne(c[0], c[1]), c[0] + " " + c[1]);
        }
    }
}
