/**
 * Text generation over OpenAI's API: {@link dev.kiln.serve.openai.GenerativeModel} serves a
 * {@code kiln train gpt} run through a continuously batching decode scheduler, and
 * {@link dev.kiln.serve.openai.OpenAiRoutes} answers {@code /v1/models}, {@code /v1/completions}
 * and {@code /v1/chat/completions}, whole or as Server-Sent Events.
 */
package dev.kiln.serve.openai;
