package dev.kiln.serve.openai;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.nn.generate.Completion;

/**
 * The bodies OpenAI's API answers with, for one request: {@code text_completion} (also each chunk
 * of a completions stream), {@code chat.completion}, {@code chat.completion.chunk} and
 * {@code usage}. Every body carries the request's {@code id}, {@code created} (epoch seconds) and
 * {@code model}.
 *
 * <p>Thread-safety: immutable.
 */
final class CompletionJson {
    private final ObjectMapper json;
    private final String id;
    private final long created;
    private final String model;
    private final boolean chat;

    CompletionJson(ObjectMapper json, String model, boolean chat) {
        this.json = json;
        this.chat = chat;
        this.id = (chat ? "chatcmpl-" : "cmpl-") + java.util.UUID.randomUUID().toString().replace("-", "");
        this.created = System.currentTimeMillis() / 1000;
        this.model = model;
    }

    private ObjectNode envelope(String object) {
        return json.createObjectNode().put("id", id).put("object", object).put("created", created).put("model", model);
    }

    /** The whole answer: {@code choices} (the completions of every prompt, in order) and their usage. */
    ObjectNode response(java.util.List<Completion> completions, int n) {
        ObjectNode r = envelope(chat ? "chat.completion" : "text_completion");
        var choices = r.putArray("choices");
        int prompt = 0;
        int promptTokens = 0;
        int completionTokens = 0;
        for (Completion c : completions) {
            for (Completion.Choice ch : c.choices()) {
                ObjectNode o = choices.addObject().put("index", prompt * n + ch.index());
                if (chat) {
                    o.putObject("message").put("role", "assistant").put("content", ch.text());
                } else {
                    o.put("text", ch.text()).putNull("logprobs");
                }
                o.put("finish_reason", ch.finishReason().openAiName());
            }
            promptTokens += c.usage().promptTokens();
            completionTokens += c.usage().completionTokens();
            prompt++;
        }
        r.set("usage", usage(promptTokens, completionTokens));
        return r;
    }

    /** One streamed piece of choice {@code index}: its new {@code text} and, on its last chunk, why it ended (else null). */
    ObjectNode chunk(int index, String text, Completion.FinishReason finish) {
        ObjectNode r = envelope(chat ? "chat.completion.chunk" : "text_completion");
        ObjectNode o = r.putArray("choices").addObject().put("index", index);
        if (chat) {
            ObjectNode delta = o.putObject("delta");
            if (!text.isEmpty()) {
                delta.put("content", text);
            }
        } else {
            o.put("text", text).putNull("logprobs");
        }
        if (finish == null) {
            o.putNull("finish_reason");
        } else {
            o.put("finish_reason", finish.openAiName());
        }
        return r;
    }

    /** A chat stream's first chunk of choice {@code index}: the assistant's role, no content yet. */
    ObjectNode roleChunk(int index) {
        ObjectNode r = envelope("chat.completion.chunk");
        ObjectNode o = r.putArray("choices").addObject().put("index", index);
        o.putObject("delta").put("role", "assistant").put("content", "");
        o.putNull("finish_reason");
        return r;
    }

    /** A stream's last chunk with {@code stream_options.include_usage}: no choices, the usage. */
    ObjectNode usageChunk(int promptTokens, int completionTokens) {
        ObjectNode r = envelope(chat ? "chat.completion.chunk" : "text_completion");
        r.putArray("choices");
        r.set("usage", usage(promptTokens, completionTokens));
        return r;
    }

    private ObjectNode usage(int promptTokens, int completionTokens) {
        return json.createObjectNode().put("prompt_tokens", promptTokens).put("completion_tokens", completionTokens)
                .put("total_tokens", promptTokens + completionTokens);
    }
}
