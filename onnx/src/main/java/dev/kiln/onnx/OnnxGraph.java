package dev.kiln.onnx;

import com.google.protobuf.ByteString;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import onnx.Onnx.AttributeProto;
import onnx.Onnx.GraphProto;
import onnx.Onnx.ModelProto;
import onnx.Onnx.NodeProto;
import onnx.Onnx.OperatorSetIdProto;
import onnx.Onnx.StringStringEntryProto;
import onnx.Onnx.TensorProto;
import onnx.Onnx.TensorShapeProto;
import onnx.Onnx.TypeProto;
import onnx.Onnx.ValueInfoProto;

/**
 * A single-graph ONNX model under construction (default domain, {@link #OPSET}): inputs, float
 * initializers copied from Kiln tensors, nodes whose outputs get fresh names, and outputs. Not
 * thread-safe. The exporters in {@link OnnxExport} and {@link OnnxTransformerExport} append to one of these.
 */
public final class OnnxGraph {
    /** The ONNX opset the exporters target: 17 has LayerNormalization but not yet Gelu (20). */
    public static final int OPSET = 17;
    /** IR version 8 is what opset 17 was released with (ONNX 1.12); every runtime that knows opset 17 reads it. */
    public static final int IR_VERSION = 8;

    private final GraphProto.Builder graph = GraphProto.newBuilder();
    private final Map<String, Integer> used = new HashMap<>();

    /** An empty graph called {@code name}. */
    public OnnxGraph(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("OnnxGraph: name must be non-empty, got " + name);
        }
        graph.setName(name);
    }

    /** One node attribute: build with {@link #attr(String, long)} and its overloads. */
    public record Attr(AttributeProto proto) {}

    public static Attr attr(String name, long value) {
        return new Attr(AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(value).build());
    }

    public static Attr attr(String name, float value) {
        return new Attr(AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(value).build());
    }

    public static Attr attr(String name, long... values) {
        AttributeProto.Builder b = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long v : values) {
            b.addInts(v);
        }
        return new Attr(b.build());
    }

    public static Attr attr(String name, String value) {
        return new Attr(AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
                .setS(ByteString.copyFromUtf8(value)).build());
    }

    /** A name not used before in this graph: {@code base}, else {@code base_1}, {@code base_2}, ... */
    public String fresh(String base) {
        int n = used.merge(base, 1, Integer::sum);
        return n == 1 ? base : base + "_" + (n - 1);
    }

    /**
     * Declares a graph input of {@code elemType} ({@link TensorProto.DataType}); each dim is an
     * {@link Integer} (fixed) or a {@link String} (symbolic, e.g. "batch").
     */
    public String input(String name, TensorProto.DataType elemType, Object... dims) {
        String n = fresh(name);
        graph.addInput(valueInfo(n, elemType, dims));
        return n;
    }

    /**
     * Declares graph output {@code name} holding {@code value} (through an Identity node, so the
     * output's name does not depend on which op made it); dims as in {@link #input}.
     */
    public void output(String value, String name, TensorProto.DataType elemType, Object... dims) {
        if (used.containsKey(name)) {
            throw new IllegalArgumentException("OnnxGraph.output: name " + name + " is already used in graph " + graph.getName());
        }
        used.put(name, 1);
        graph.addNode(NodeProto.newBuilder().setOpType("Identity").setName(fresh("Identity_node")).addInput(value).addOutput(name));
        graph.addOutput(valueInfo(name, elemType, dims));
    }

    private static ValueInfoProto valueInfo(String name, TensorProto.DataType elemType, Object... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (Object d : dims) {
            switch (d) {
                case Integer i -> shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(i));
                case String s -> shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimParam(s));
                default -> throw new IllegalArgumentException("OnnxGraph: a dim must be an Integer or a String, got " + d);
            }
        }
        TypeProto type = TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder()
                .setElemType(elemType.getNumber()).setShape(shape)).build();
        return ValueInfoProto.newBuilder().setName(name).setType(type).build();
    }

    /** A float initializer holding a copy of {@code t} (any float dtype; written as F32). */
    public String initializer(String name, Tensor t) {
        if (t == null) {
            throw new IllegalArgumentException("OnnxGraph.initializer: tensor " + name + " must not be null");
        }
        if (t.dtype() != DType.F32 && t.dtype() != DType.F64 && t.dtype() != DType.BF16 && t.dtype() != DType.F16) {
            throw new IllegalArgumentException("OnnxGraph.initializer: " + name + " must be a float tensor, got " + t.dtype());
        }
        return initializer(name, t.toFloatArray(), t.shape().toArray());
    }

    /** A float initializer of {@code shape} holding {@code data} (row-major). */
    public String initializer(String name, float[] data, int... shape) {
        long numel = 1;
        for (int d : shape) {
            numel *= d;
        }
        if (numel != data.length) {
            throw new IllegalArgumentException("OnnxGraph.initializer: " + name + " has " + data.length
                    + " values for shape " + java.util.Arrays.toString(shape) + " (" + numel + ")");
        }
        ByteBuffer bytes = ByteBuffer.allocate(4 * data.length).order(ByteOrder.LITTLE_ENDIAN); // raw_data is little-endian
        bytes.asFloatBuffer().put(data);
        String n = fresh(name);
        TensorProto.Builder b = TensorProto.newBuilder().setName(n).setDataType(TensorProto.DataType.FLOAT.getNumber())
                .setRawData(ByteString.copyFrom(bytes.array()));
        for (int d : shape) {
            b.addDims(d);
        }
        graph.addInitializer(b);
        return n;
    }

    /** A 1-D INT64 initializer (the shapes, axes and slice bounds that opset 13+ takes as inputs). */
    public String longs(String name, long... values) {
        String n = fresh(name);
        TensorProto.Builder b = TensorProto.newBuilder().setName(n).setDataType(TensorProto.DataType.INT64.getNumber())
                .addDims(values.length);
        for (long v : values) {
            b.addInt64Data(v);
        }
        graph.addInitializer(b);
        return n;
    }

    /** A scalar float initializer. */
    public String scalar(String name, float value) {
        return initializer(name, new float[] {value});
    }

    /** Appends an {@code op} node with one output (named after the op) and returns that output's name. */
    public String node(String op, List<String> inputs, Attr... attrs) {
        return node(op, inputs, 1, attrs).getFirst();
    }

    /** Appends an {@code op} node with {@code outputs} outputs and returns their names. */
    public List<String> node(String op, List<String> inputs, int outputs, Attr... attrs) {
        NodeProto.Builder b = NodeProto.newBuilder().setOpType(op).setName(fresh(op + "_node")).addAllInput(inputs);
        String base = op.substring(0, 1).toLowerCase(java.util.Locale.ROOT) + op.substring(1);
        List<String> names = new java.util.ArrayList<>();
        for (int i = 0; i < outputs; i++) {
            String n = fresh(base);
            names.add(n);
            b.addOutput(n);
        }
        for (Attr a : attrs) {
            b.addAttribute(a.proto());
        }
        graph.addNode(b);
        return List.copyOf(names);
    }

    /** The finished model: this graph, opset {@link #OPSET}, producer "kiln" and {@code metadata} as metadata_props. */
    public ModelProto toModel(Map<String, String> metadata) {
        ModelProto.Builder m = ModelProto.newBuilder().setIrVersion(IR_VERSION).setProducerName("kiln")
                .setProducerVersion("0.1.0").addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
                .setGraph(graph);
        metadata.forEach((k, v) -> m.addMetadataProps(StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
        return m.build();
    }

    /** Writes {@code model} to {@code file} (the binary protobuf encoding, what every runtime loads). */
    public static void write(ModelProto model, Path file) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            model.writeTo(out);
        }
    }
}
