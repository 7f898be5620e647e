package dev.kiln.bench.serve;

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
}
