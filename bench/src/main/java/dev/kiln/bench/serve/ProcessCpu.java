package dev.kiln.bench.serve;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.lang.management.ManagementFactory;

/** CPU time of this JVM, all threads together. */
final class ProcessCpu {
    private ProcessCpu() {}

    /** Nanoseconds of CPU this process has used, or -1 where the JVM cannot tell. */
    static long nanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }

    /**
     * Nanoseconds of CPU used by this process's children that have exited and been waited for (a
     * finished {@code wrk}), from Linux's {@code /proc/self/stat} ({@code cutime + cstime}, in the
     * kernel's 100 Hz user ticks); 0 where there is no such file.
     */
    static long childrenNanos() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[13]) + Long.parseLong(f[14])) * 10_000_000L; // fields 16 and 17 of proc(5)
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }
}
