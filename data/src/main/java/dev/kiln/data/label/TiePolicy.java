package dev.kiln.data.label;

/** What majority vote does when two or more labels get the most votes. */
public enum TiePolicy {
    /**
     * Abstain (no label): a tie means the rules disagree and nothing decides between them, so the
     * example is better left for a model or a person than labeled by a coin flip. Snorkel's
     * {@code MajorityLabelVoter} with {@code tie_break_policy="abstain"}.
     */
    ABSTAIN,
    /** Take the tied label that comes first in {@link String#compareTo} order: deterministic, but arbitrary. */
    FIRST_LABEL
}
