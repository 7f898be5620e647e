package dev.kiln.apps.train;

import picocli.CommandLine.Command;

/**
 * {@code kiln train}: the reference training apps. Each subcommand trains one model on one of the
 * data sets {@code kiln data fetch} provides and writes a run directory: metrics as JSONL, a plot
 * of the loss and accuracy curves, and the trained weights as safetensors.
 */
@Command(name = "train",
        description = "Train a reference model (run directory: model.safetensors, metrics, curves).",
        mixinStandardHelpOptions = true,
        subcommands = {CnnCommand.class, RnnCommand.class, GptCommand.class, Seq2seqCommand.class, ClassifyCommand.class})
public final class TrainCommand {}
