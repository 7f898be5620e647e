package dev.kiln.apps;

import dev.kiln.nn.io.SafetensorsFormatException;
import dev.kiln.optim.train.NonFiniteLossException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.ReadOnlyFileSystemException;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * How {@code kiln} reports a failure: one line on standard error, {@code kiln <command>: <what>:
 * <problem>} (the file first when there is one), exit code 1; a usage error (bad option or
 * argument) the same way with exit code 2. {@code --verbose} adds the Java stack trace below the
 * line. Messages that already start with {@code kiln } are the commands' own and are kept as they are.
 */
final class CliErrors implements CommandLine.IExecutionExceptionHandler, CommandLine.IParameterExceptionHandler {
    /** The exit code of a command that failed while running. */
    static final int FAILURE = 1;
    /** The exit code of a usage error (picocli's and the shell's convention). */
    static final int USAGE = 2;

    static final String VERBOSE = "--verbose";

    @Override
    public int handleParseException(ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        String line = prefixed(cmd, oneLine(ex.getMessage()));
        if (ex instanceof UnmatchedArgumentException u) {
            List<String> suggestions = u.getSuggestions();
            if (!suggestions.isEmpty()) {
                line += "; did you mean " + String.join(" or ", suggestions) + "?";
            }
        }
        if (!ownMessage(ex.getMessage())) { // picocli's own message: point to the options
            line += " (see " + cmd.getCommandSpec().qualifiedName() + " --help)";
        }
        report(cmd.getErr(), line, ex, Arrays.asList(args).contains(VERBOSE));
        return USAGE;
    }

    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, ParseResult parsed) {
        report(cmd.getErr(), prefixed(cmd, describe(ex)), ex, verbose(parsed));
        return FAILURE;
    }

    /** The problem, path first where there is one, without the command's name. */
    static String describe(Throwable ex) {
        Throwable e = ex instanceof UncheckedIOException u && u.getCause() != null ? u.getCause() : ex;
        return switch (e) {
            case NonFiniteLossException n -> "loss is " + n.loss() + " at step " + n.step() + " (epoch " + (n.epoch() + 1)
                    + "); lower --lr, or pass --on-nonfinite warn to train on; "
                    + n.lastCheckpoint().map(p -> "the last good checkpoint is " + p).orElse("no checkpoint was written before it");
            case SafetensorsFormatException s -> s.source() + ": " + oneLine(s.problem());
            case FileSystemException f -> f.getFile() + (f.getOtherFile() != null ? " -> " + f.getOtherFile() : "") + ": "
                    + (f.getReason() != null ? oneLine(f.getReason()) : reason(f));
            case ReadOnlyFileSystemException _ -> "read-only file system";
            case java.io.IOException _, IllegalArgumentException _, IllegalStateException _ when e.getMessage() != null ->
                oneLine(e.getMessage());
            default -> "internal error: " + e.getClass().getName() + (e.getMessage() != null ? ": " + oneLine(e.getMessage()) : "")
                    + " (" + VERBOSE + " prints the stack trace)";
        };
    }

    private static String reason(FileSystemException f) {
        return switch (f) {
            case NoSuchFileException _ -> "no such file or directory";
            case AccessDeniedException _ -> "permission denied";
            case NotDirectoryException _ -> "not a directory";
            case FileAlreadyExistsException _ -> "already exists";
            case DirectoryNotEmptyException _ -> "directory not empty";
            default -> "file system error";
        };
    }

    private static boolean verbose(ParseResult parsed) {
        for (ParseResult p = parsed; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption(VERBOSE)) {
                return true;
            }
        }
        return false;
    }

    private static void report(PrintWriter err, String line, Throwable ex, boolean verbose) {
        err.println(line);
        if (verbose) {
            ex.printStackTrace(err);
        }
        err.flush();
    }

    private static boolean ownMessage(String message) {
        return message != null && message.startsWith("kiln ");
    }

    private static String prefixed(CommandLine cmd, String message) {
        return ownMessage(message) ? message : cmd.getCommandSpec().qualifiedName() + ": " + message;
    }

    /** Messages with line breaks (a parser's excerpt) folded into the one line. */
    private static String oneLine(String s) {
        return s == null ? "" : s.strip().replaceAll("\\s*\\R\\s*", " ");
    }
}
