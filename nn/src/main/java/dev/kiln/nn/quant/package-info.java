/**
 * Post-training int8 quantization for inference: {@link dev.kiln.nn.quant.QuantizedLinear} and
 * {@link dev.kiln.nn.quant.QuantizedConv2d} hold per-output-channel symmetric int8 weights and
 * quantize their input per row on every call (dynamic quantization, torch's
 * {@code quantize_dynamic} scheme), running {@link dev.kiln.tensor.Quantization}'s int8 GEMM;
 * {@link dev.kiln.nn.quant.Quantizer} converts a trained model and saves or loads it as safetensors
 * with I8 weights and F32 scales.
 */
package dev.kiln.nn.quant;
