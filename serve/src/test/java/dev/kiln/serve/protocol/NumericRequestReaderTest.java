package dev.kiln.serve.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.serve.ServeException;
import dev.kiln.serve.model.InferTensor;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The one-pass reader against the tree parser it stands in for: on good requests (key orders,
 * nested data, integers, extra fields, ids, output lists) it must read them itself and get the same
 * request; on hundreds of broken and unusual ones {@link InferRequest#parse} must behave exactly as
 * the tree parser alone does — the same request, or the same status and message.
 */
class NumericRequestReaderTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void readsGoodRequestsItselfAndAsTheTreeParserDoes() {
        SplittableRandom rnd = new SplittableRandom(7);
        for (int i = 0; i < 300; i++) {
            byte[] body = goodBody(rnd).getBytes(StandardCharsets.UTF_8);
            InferRequest fast = NumericRequestReader.read(body, JSON);
            assertNotNull(fast, () -> "the reader left a good request to the tree parser: " + new String(body, StandardCharsets.UTF_8));
            assertSame(InferRequest.parseTree(body, JSON), fast, body);
        }
    }

    @Test
    void brokenAndUnusualRequestsGetTheTreeParsersAnswer() {
        SplittableRandom rnd = new SplittableRandom(8);
        List<String> bodies = new ArrayList<>(List.of("", "[]", "null", "{}", "{\"inputs\":[]}", "{\"inputs\":{}}",
                "{\"inputs\":[1]}", "{\"id\":5,\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":[1]}]}",
                "{\"id\":null,\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":[1]}]}",
                "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"BOOL\",\"shape\":[2],\"data\":[true,0]}]}",
                "{\"inputs\":[{\"name\":\"t\",\"datatype\":\"BYTES\",\"shape\":[2],\"data\":[\"a\",\"b\"]}]}",
                "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[2],\"data\":[1]}]}",
                "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1.0],\"data\":[1]}]}",
                "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[-1],\"data\":[1]}]}",
                "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[99999999999999999999],\"data\":[1]}]}",
                "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[100000,100000],\"data\":[1]}]}",
                "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP33\",\"shape\":[1],\"data\":[1]}]}",
                "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":1}]}",
                "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":null}]}",
                "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":[{\"a\":1}]}]}",
                "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":[\"1\"]}]}",
                "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1]}]}",
                "{\"inputs\":[{\"name\":7,\"datatype\":\"FP32\",\"shape\":[1],\"data\":[1]}]}",
                "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":[1]}],\"outputs\":[{\"nam\":\"a\"}]}",
                "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":[1]}],\"outputs\":[\"a\"]}",
                "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":[1]}],\"outputs\":{}}",
                "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":[1],\"data\":[2]}]}",
                "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":[1]}],\"inputs\":[{\"name\":\"y\","
                        + "\"datatype\":\"INT64\",\"shape\":[1],\"data\":[3]}]}",
                "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":[1]}]} trailing",
                "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":[1e999]}]}",
                // The binary tensor data extension's parameters, wrong in a JSON body or wrongly typed:
                "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":[1],"
                        + "\"parameters\":{\"binary_data_size\":4}}]}",
                "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1],\"parameters\":{\"binary_data_size\":4}}]}",
                "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":[1],\"parameters\":7}]}",
                "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":[1]}],\"parameters\":[]}",
                "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":[1]}],"
                        + "\"parameters\":{\"binary_data_output\":1}}",
                "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":[1]}],"
                        + "\"parameters\":{\"binary_data_output\":true,\"binary_data_output\":false}}",
                "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":[1]}],"
                        + "\"outputs\":[{\"name\":\"a\",\"parameters\":{\"binary_data\":\"yes\"}}]}",
                "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":[1]}],"
                        + "\"outputs\":[{\"name\":\"a\",\"parameters\":null}]}"));
        for (int i = 0; i < 60; i++) {
            String good = goodBody(rnd);
            for (int k = 0; k < 5; k++) {
                bodies.add(good.substring(0, rnd.nextInt(good.length()))); // truncated
            }
            int at = rnd.nextInt(good.length());
            bodies.add(good.substring(0, at) + "\"x\"" + good.substring(at)); // a string spliced in anywhere
            bodies.add(good.substring(0, at) + ",true" + good.substring(at));
            bodies.add(good.replaceFirst(",\"data\":\\[", ",\"data\":[null,"));
            bodies.add(good.replace("\"FP32\"", "\"BYTES\""));
        }
        for (String text : bodies) {
            byte[] body = text.getBytes(StandardCharsets.UTF_8);
            InferRequest want;
            try {
                want = InferRequest.parseTree(body, JSON);
            } catch (ServeException e) {
                try {
                    InferRequest.parse(body, JSON);
                    fail("parse accepted what the tree parser refuses (" + e.getMessage() + "): " + text);
                } catch (ServeException got) {
                    assertEquals(e.status() + " " + e.getMessage(), got.status() + " " + got.getMessage(), text);
                }
                continue;
            }
            assertSame(want, InferRequest.parse(body, JSON), body);
        }
    }

    /** A valid request for numeric tensors, with the variety clients send. */
    private static String goodBody(SplittableRandom rnd) {
        int count = 1 + rnd.nextInt(2);
        List<String> inputs = new ArrayList<>();
        for (int t = 0; t < count; t++) {
            int rows = 1 + rnd.nextInt(3);
            int cols = 1 + rnd.nextInt(5);
            boolean nested = rnd.nextBoolean();
            StringBuilder data = new StringBuilder("[");
            for (int r = 0; r < rows; r++) {
                data.append(r == 0 ? "" : ",").append(nested ? "[" : "");
                for (int c = 0; c < cols; c++) {
                    data.append(c == 0 ? "" : ",").append(number(rnd));
                }
                data.append(nested ? "]" : "");
            }
            data.append(']');
            String datatype = List.of("FP32", "FP64", "INT64", "INT32", "UINT8", "BOOL").get(rnd.nextInt(6));
            List<String> fields = new ArrayList<>(List.of("\"name\":\"in" + t + "\"", "\"datatype\":\"" + datatype + "\"",
                    "\"shape\":[" + rows + "," + cols + "]", "\"data\":" + data));
            if (rnd.nextInt(4) == 0) {
                fields.add("\"parameters\":{\"content_type\":\"x\",\"n\":[1,{\"a\":[]}]}");
            }
            shuffle(fields, rnd);
            inputs.add("{" + String.join(",", fields) + "}");
        }
        List<String> top = new ArrayList<>();
        top.add("\"inputs\":[" + String.join(",", inputs) + "]");
        if (rnd.nextBoolean()) {
            top.add("\"id\":\"req-" + rnd.nextInt(1000) + "\"");
        }
        if (rnd.nextInt(3) == 0) {
            top.add("\"outputs\":[{\"name\":\"logits\"},{\"name\":\"label\",\"parameters\":{\"x\":1"
                    + List.of("", ",\"binary_data\":true", ",\"binary_data\":false").get(rnd.nextInt(3)) + "}}]");
        }
        if (rnd.nextInt(4) == 0) {
            top.add("\"parameters\":{\"binary_data_output\":" + rnd.nextBoolean() + ",\"other\":[1]}");
        }
        shuffle(top, rnd);
        return "{" + String.join(rnd.nextBoolean() ? "," : " ,\n ", top) + "}";
    }

    private static String number(SplittableRandom rnd) {
        return switch (rnd.nextInt(5)) {
            case 0 -> Double.toString(rnd.nextInt(256) / 255.0);
            case 1 -> Long.toString(rnd.nextLong(-1000, 1000));
            case 2 -> String.format(Locale.ROOT, "%.2e", rnd.nextDouble(-1e6, 1e6));
            case 3 -> "0";
            default -> Float.toString((float) rnd.nextGaussian());
        };
    }

    private static <T> void shuffle(List<T> list, SplittableRandom rnd) {
        for (int i = list.size() - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            list.set(i, list.set(j, list.get(i)));
        }
    }

    private static void assertSame(InferRequest want, InferRequest got, byte[] body) {
        String text = new String(body, StandardCharsets.UTF_8);
        assertEquals(want.id(), got.id(), text);
        assertEquals(want.outputs(), got.outputs(), text);
        assertEquals(want.binaryDataOutput(), got.binaryDataOutput(), text);
        assertEquals(want.binaryData(), got.binaryData(), text);
        assertEquals(want.parameters(), got.parameters(), text);
        assertEquals(want.inputs().size(), got.inputs().size(), text);
        for (int i = 0; i < want.inputs().size(); i++) {
            InferTensor w = want.inputs().get(i);
            InferTensor g = got.inputs().get(i);
            assertEquals(w.index() + " " + w.name() + " " + w.datatype(), g.index() + " " + g.name() + " " + g.datatype(), text);
            assertArrayEquals(w.shape(), g.shape(), text);
            assertArrayEquals(w.numbers(), g.numbers(), text); // exact: assertArrayEquals on doubles compares bits
            assertEquals(w.strings(), g.strings(), text);
        }
    }
}
