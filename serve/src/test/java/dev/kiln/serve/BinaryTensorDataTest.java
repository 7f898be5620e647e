package dev.kiln.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.serve.batch.BatchingOptions;
import dev.kiln.serve.model.RunDirectoryModels;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The binary tensor data extension live on a loopback port: binary inputs answer as their JSON
 * twins do and as the model run in-process does, binary outputs decode to the JSON answer's values,
 * and every malformed body is a 400 JSON error naming the field.
 *
 * <p>The served models all take one input, so a request mixing a JSON input with a binary one is
 * checked at the parser ({@code protocol.BinaryRequestTest}), not here.
 */
class BinaryTensorDataTest {
    static final String HEADER = "Inference-Header-Content-Length";
    static final int PIXELS = ModelServerTest.PIXELS;

    @TempDir
    static Path tmp;
    static ModelServer server;
    static Http http;

    @BeforeAll
    static void start() throws Exception {
        server = ModelServer.builder().port(0).maxBodyBytes(64 * 1024)
                .model("fashion", "1", RunDirectoryModels.load(TinyRuns.cnn(tmp.resolve("cnn"))), new BatchingOptions(8, 0, 64))
                .model("spam", RunDirectoryModels.load(TinyRuns.classify(tmp.resolve("classify"))))
                .start();
        http = new Http(server.port());
    }

    @AfterAll
    static void stop() {
        http.close();
        server.close();
    }

    /** The JSON part of a binary image request for {@code images} images; {@code extra} goes into the input object. */
    static String imageHeader(int images, long binarySize, String extra, String tail) {
        return String.format(Locale.ROOT, "{\"id\":\"b1\",\"inputs\":[{\"name\":\"images\",\"datatype\":\"FP32\",\"shape\":[%d,1,%d,%d],"
                + "\"parameters\":{\"binary_data_size\":%d}%s}]%s}", images, TinyRuns.SIDE, TinyRuns.SIDE, binarySize, extra, tail);
    }

    /**
     * Pixels k / 256: their shortest decimals (what the JSON twin sends) are exact, so the JSON and the
     * binary request give the model bit-identical inputs and must get bit-identical answers.
     */
    static float[] pixels(int images, long seed) {
        java.util.Random r = new java.util.Random(seed);
        float[] x = new float[images * PIXELS];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextInt(256) / 256f;
        }
        return x;
    }

    static byte[] floatsLittleEndian(float[] x) {
        ByteBuffer b = ByteBuffer.allocate(4 * x.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : x) {
            b.putFloat(v);
        }
        return b.array();
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** POSTs {@code json} then {@code binary}, with the header giving the JSON part's length. */
    static Http.BytesReply postBinary(String model, String json, byte[] binary) throws Exception {
        byte[] head = json.getBytes(StandardCharsets.UTF_8);
        return http.postBytes("/v2/models/" + model + "/infer", concat(head, binary), "Content-Type", "application/octet-stream",
                HEADER, Integer.toString(head.length));
    }

    /** A binary response split into its JSON part and, per output name, its bytes. */
    record Split(JsonNode json, Map<String, ByteBuffer> binary) {}

    static Split split(Http.BytesReply reply) throws Exception {
        assertEquals(200, reply.status(), () -> reply.text().body());
        assertEquals("application/octet-stream", reply.contentType());
        int jsonLength = Integer.parseInt(reply.headers().firstValue(HEADER).orElseThrow());
        JsonNode json = Http.JSON.readTree(new String(reply.body(), 0, jsonLength, StandardCharsets.UTF_8));
        Map<String, ByteBuffer> binary = new LinkedHashMap<>();
        int at = jsonLength;
        for (JsonNode o : json.get("outputs")) {
            JsonNode size = o.path("parameters").get("binary_data_size");
            if (size != null) {
                assertTrue(o.get("data") == null, "an output with binary_data_size must not carry data: " + o);
                binary.put(o.get("name").asText(), ByteBuffer.wrap(reply.body(), at, size.asInt()).slice().order(ByteOrder.LITTLE_ENDIAN));
                at += size.asInt();
            }
        }
        assertEquals(reply.body().length, at, "the outputs' binary_data_size must add up to the bytes after the JSON part");
        return new Split(json, binary);
    }

    static float[] decodeFloats(ByteBuffer b) {
        float[] x = new float[b.remaining() / 4];
        b.asFloatBuffer().get(x);
        return x;
    }

    @Test
    void serverMetadataListsTheExtension() throws Exception {
        assertEquals("[\"binary_tensor_data\"]", http.get("/v2").json().get("extensions").toString());
    }

    @Test
    void binaryInputAnswersAsTheJsonRequestAndTheModelRunDirectly() throws Exception {
        float[] x = pixels(3, 21);
        Http.BytesReply reply = postBinary("fashion", imageHeader(3, 4L * x.length, "", ""), floatsLittleEndian(x));
        assertEquals(200, reply.status(), () -> reply.text().body());
        assertTrue(reply.contentType().startsWith("application/json"), reply.contentType());
        JsonNode binary = reply.text().json();
        JsonNode json = http.post("/v2/models/fashion/infer", ModelServerTest.imageRequest(x, 3)).json();
        assertEquals("b1", binary.get("id").asText());
        for (String name : List.of("logits", "probabilities", "label")) {
            assertEquals(ModelServerTest.output(json, name), ModelServerTest.output(binary, name), name);
        }
        assertArrayEquals(ModelServerTest.referenceImageLogits(x, 3),
                ModelServerTest.floats(ModelServerTest.output(binary, "logits")), 1e-6f);
    }

    @Test
    void binaryOutputsDecodeToTheJsonAnswersValues() throws Exception {
        float[] x = pixels(2, 22);
        JsonNode json = http.post("/v2/models/fashion/infer", ModelServerTest.imageRequest(x, 2)).json();
        // Request-level binary output for all, with the label kept as JSON by its own parameter.
        Split s = split(postBinary("fashion", imageHeader(2, 4L * x.length, "",
                ",\"outputs\":[{\"name\":\"logits\"},{\"name\":\"label\",\"parameters\":{\"binary_data\":false}}],"
                        + "\"parameters\":{\"binary_data_output\":true}"), floatsLittleEndian(x)));
        assertEquals(List.of("logits"), new ArrayList<>(s.binary().keySet()));
        JsonNode logits = ModelServerTest.output(s.json(), "logits");
        assertEquals("[2,10]", logits.get("shape").toString());
        assertEquals(80, logits.get("parameters").get("binary_data_size").asInt());
        assertArrayEquals(ModelServerTest.floats(ModelServerTest.output(json, "logits")), decodeFloats(s.binary().get("logits")));
        assertArrayEquals(ModelServerTest.referenceImageLogits(x, 2), decodeFloats(s.binary().get("logits")), 1e-6f);
        assertEquals(ModelServerTest.output(json, "label"), ModelServerTest.output(s.json(), "label"));

        // A JSON request asking for the INT64 label alone as binary data.
        String body = ModelServerTest.imageRequest(x, 2).replace("}]}",
                "}],\"outputs\":[{\"name\":\"label\",\"parameters\":{\"binary_data\":true}},{\"name\":\"probabilities\"}]}");
        Split labels = split(http.postBytes("/v2/models/fashion/infer", body.getBytes(StandardCharsets.UTF_8),
                "Content-Type", "application/json"));
        ByteBuffer b = labels.binary().get("label");
        assertEquals(16, b.remaining());
        JsonNode want = ModelServerTest.output(json, "label").get("data");
        assertEquals(want.get(0).asLong(), b.getLong());
        assertEquals(want.get(1).asLong(), b.getLong());
        assertEquals(ModelServerTest.output(json, "probabilities"), ModelServerTest.output(labels.json(), "probabilities"));
    }

    @Test
    void binaryBytesInputAnswersAsTheJsonRequest() throws Exception {
        List<String> texts = List.of("FREE money, click here now!", "lunch meeting tomorrow", "");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (String t : texts) {
            byte[] utf8 = t.getBytes(StandardCharsets.UTF_8);
            bytes.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(utf8.length).array());
            bytes.writeBytes(utf8);
        }
        String head = "{\"inputs\":[{\"name\":\"text\",\"datatype\":\"BYTES\",\"shape\":[3],\"parameters\":{\"binary_data_size\":"
                + bytes.size() + "}}]}";
        Http.BytesReply reply = postBinary("spam", head, bytes.toByteArray());
        assertEquals(200, reply.status(), () -> reply.text().body());
        JsonNode json = http.post("/v2/models/spam/infer", "{\"inputs\":[{\"name\":\"text\",\"datatype\":\"BYTES\",\"shape\":[3],"
                + "\"data\":" + Http.JSON.writeValueAsString(texts) + "}]}").json();
        assertEquals(json.get("outputs"), reply.text().json().get("outputs"));
    }

    /** One malformed body: what it sends and what the 400 must name. */
    record Bad(String what, byte[] body, String headerValue, String expected) {}

    @Test
    void malformedBinaryRequestsAre400JsonNamingTheField() throws Exception {
        float[] x = pixels(1, 23);
        byte[] data = floatsLittleEndian(x);
        int size = data.length;
        byte[] good = imageHeader(1, size, "", "").getBytes(StandardCharsets.UTF_8);
        String n = Integer.toString(good.length);
        byte[] nan = data.clone();
        ByteBuffer.wrap(nan).order(ByteOrder.LITTLE_ENDIAN).putFloat(8, Float.NaN);
        List<Bad> cases = new ArrayList<>();
        cases.add(new Bad("header not a number", concat(good, data), "12a", HEADER + " header: expected the JSON part's length"));
        cases.add(new Bad("header negative", concat(good, data), "-5", HEADER + " header: expected the JSON part's length"));
        cases.add(new Bad("header empty", concat(good, data), " ", HEADER + " header: expected the JSON part's length"));
        cases.add(new Bad("header past the body", concat(good, data), Integer.toString(good.length + size + 1),
                HEADER + " header: expected at most the body's " + (good.length + size) + " bytes, got " + (good.length + size + 1)));
        cases.add(new Bad("header 0 (raw binary)", data, "0", HEADER + " header: expected the JSON part's length in bytes, got 0"));
        cases.add(new Bad("header cuts the JSON", concat(good, data), Integer.toString(good.length - 3), "malformed JSON"));
        cases.add(new Bad("size not shape x 4", concat(imageHeader(1, size - 4, "", "").getBytes(StandardCharsets.UTF_8),
                java.util.Arrays.copyOf(data, size - 4)), null,
                "inputs[0].parameters.binary_data_size: expected " + size + " bytes (shape [1, 1, 12, 12] of FP32, 4 bytes each), got "
                        + (size - 4)));
        cases.add(new Bad("bytes left over", concat(good, data, new byte[4]), n,
                "body: the inputs' parameters.binary_data_size add up to " + size + " bytes, but " + (size + 4) + " bytes follow"));
        cases.add(new Bad("size past the body", concat(good, java.util.Arrays.copyOf(data, size - 1)), n,
                "inputs[0].parameters.binary_data_size: " + size + " bytes, but only " + (size - 1) + " bytes of binary data are left"));
        cases.add(new Bad("data and binary_data_size", concat(imageHeader(1, size, ",\"data\":[1]", "").getBytes(StandardCharsets.UTF_8),
                data), null, "inputs[0]: expected either data or parameters.binary_data_size, got both"));
        cases.add(new Bad("size not a count", concat(imageHeader(1, size, "", "").replace(":" + size + "}", ":\"" + size + "\"}")
                .getBytes(StandardCharsets.UTF_8), data), null, "inputs[0].parameters.binary_data_size: expected a byte count >= 0, got \""));
        cases.add(new Bad("NaN pixel", concat(good, nan), n, "inputs[0] binary data, element 2: expected a number within FP32's range"));
        cases.add(new Bad("parameters not an object", concat(imageHeader(1, size, "", ",\"parameters\":[1]").getBytes(StandardCharsets.UTF_8),
                data), null, "parameters: expected an object, got ARRAY"));
        cases.add(new Bad("binary_data not a boolean", concat(imageHeader(1, size, "",
                ",\"outputs\":[{\"name\":\"label\",\"parameters\":{\"binary_data\":\"yes\"}}]").getBytes(StandardCharsets.UTF_8), data),
                null, "outputs[0].parameters.binary_data: expected true or false, got \"yes\""));
        cases.add(new Bad("JSON part not UTF-8", concat(invalidUtf8(good), data), n, "body: invalid UTF-8 at byte"));
        byte[] text = ByteBuffer.allocate(6).order(ByteOrder.LITTLE_ENDIAN).putInt(9).put((byte) 'h').put((byte) 'i').array();
        cases.add(new Bad("BYTES length past the tensor", concat(("{\"inputs\":[{\"name\":\"text\",\"datatype\":\"BYTES\",\"shape\":[1],"
                + "\"parameters\":{\"binary_data_size\":6}}]}").getBytes(StandardCharsets.UTF_8), text), null,
                "inputs[0] binary data, element 0: length 9 runs past the 6 bytes of parameters.binary_data_size"));
        for (Bad bad : cases) {
            String model = bad.what().startsWith("BYTES") ? "spam" : "fashion";
            List<String> headers = new ArrayList<>(List.of("Content-Type", "application/octet-stream"));
            String value = bad.headerValue() != null ? bad.headerValue() : Integer.toString(jsonLength(bad.body()));
            headers.add(HEADER);
            headers.add(value);
            Http.BytesReply reply = http.postBytes("/v2/models/" + model + "/infer", bad.body(), headers.toArray(String[]::new));
            assertEquals(400, reply.status(), () -> bad.what() + ": " + reply.text().body());
            assertTrue(reply.contentType().startsWith("application/json"), bad.what() + ": " + reply.contentType());
            String error = reply.text().error();
            assertTrue(error.startsWith(bad.expected()), () -> bad.what() + ": expected an error starting \"" + bad.expected()
                    + "\", got \"" + error + "\"");
        }
        // binary_data_size in a body sent without the header: plain JSON cannot carry binary data.
        Http.Reply noHeader = http.post("/v2/models/fashion/infer", imageHeader(1, size, "", ""));
        assertEquals(400, noHeader.status(), noHeader.body());
        assertTrue(noHeader.error().startsWith("inputs[0].parameters.binary_data_size: binary data needs the " + HEADER + " header"),
                noHeader.error());
    }

    /** The length of the JSON object at the start of {@code body}: up to its last closing brace before binary data. */
    private static int jsonLength(byte[] body) {
        int depth = 0;
        for (int i = 0; i < body.length; i++) {
            if (body[i] == '{') {
                depth++;
            } else if (body[i] == '}' && --depth == 0) {
                return i + 1;
            }
        }
        throw new AssertionError("no JSON object in the body");
    }

    /** {@code json} with the id's first letter replaced by a lone continuation byte. */
    private static byte[] invalidUtf8(byte[] json) {
        byte[] bad = json.clone();
        int at = new String(json, StandardCharsets.UTF_8).indexOf("\"b1\"") + 1;
        bad[at] = (byte) 0x80;
        return bad;
    }
}
