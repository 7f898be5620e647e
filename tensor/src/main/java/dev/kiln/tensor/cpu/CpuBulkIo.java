package dev.kiln.tensor.cpu;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.storage.CpuStorage;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Tensor bytes to and from host memory segments (files mapped or staged by safetensors and
 * checkpoint I/O): one {@link MemorySegment#copy} from the storage's heap segment, which also
 * swaps the byte order on a big-endian host.
 */
final class CpuBulkIo {
    private CpuBulkIo() {}

    static void write(Tensor t, MemorySegment dst) {
        if (t.numel() == 0) {
            return;
        }
        try (Tensor c = t.contiguous()) {
            CpuStorage s = (CpuStorage) c.storage();
            DType d = c.dtype();
            MemorySegment.copy(s.segment(), d.valueLayout(ByteOrder.nativeOrder()), (long) c.offset() * d.byteSize(), dst,
                    d.valueLayout(ByteOrder.LITTLE_ENDIAN), 0, c.numel());
        }
    }

    static void read(MemorySegment src, Tensor out) {
        if (out.numel() == 0) {
            return;
        }
        CpuStorage s = (CpuStorage) out.storage();
        DType d = out.dtype();
        ValueLayout layout = d.valueLayout(ByteOrder.LITTLE_ENDIAN);
        MemorySegment.copy(src, layout, 0, s.segment(), d.valueLayout(ByteOrder.nativeOrder()),
                (long) out.offset() * d.byteSize(), out.numel());
        if (d == DType.BOOL) {
            // Kiln's BOOL kernels assume 0/1; any other byte reads as true, as in numpy and torch.
            byte[] b = s.bytes();
            for (int i = out.offset(), end = out.offset() + out.numel(); i < end; i++) {
                b[i] = (byte) (b[i] != 0 ? 1 : 0);
            }
        }
    }
}
