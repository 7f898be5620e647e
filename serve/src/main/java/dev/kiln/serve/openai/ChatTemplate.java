package dev.kiln.serve.openai;

import java.util.List;
import java.util.Locale;

/**
 * How chat messages become the plain prompt a {@code kiln train gpt} model continues: the model has
 * no chat template of its own (it learned plain text), so each message is one line
 * {@code "Role: content\n"} with the role capitalised ({@code System}, {@code User},
 * {@code Assistant}), and the prompt ends with {@code "Assistant:"} for the model to answer. For
 * example {@code [{system, "Be brief."}, {user, "Hi"}]} renders as
 * {@code "System: Be brief.\nUser: Hi\nAssistant:"}. The answer ends at {@link #TURN_END}, the
 * start of the next user turn, besides the request's own stop strings.
 */
public final class ChatTemplate {
    /** The roles a message may have. */
    public static final List<String> ROLES = List.of("system", "user", "assistant");
    /** The implicit stop string of a chat completion: the model starting to write the user's next turn. */
    public static final String TURN_END = "\nUser:";

    private ChatTemplate() {}

    /** One chat message: {@code role} is one of {@link #ROLES}. */
    public record Message(String role, String content) {}

    /** The prompt for {@code messages}. */
    public static String render(List<Message> messages) {
        StringBuilder b = new StringBuilder();
        for (Message m : messages) {
            b.append(m.role().substring(0, 1).toUpperCase(Locale.ROOT)).append(m.role().substring(1)).append(": ")
                    .append(m.content()).append('\n');
        }
        return b.append("Assistant:").toString();
    }
}
