package dev.kiln.nn;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/** An indexed list of child modules (named "0", "1", ...), for models that loop over blocks. */
public final class ModuleList<M extends Module> extends Module implements Iterable<M> {
    private final List<M> modules = new ArrayList<>();

    @SafeVarargs
    public ModuleList(M... modules) {
        for (M m : modules) {
            add(m);
        }
    }

    public ModuleList<M> add(M module) {
        registerModule(Integer.toString(modules.size()), module);
        modules.add(module);
        return this;
    }

    public M get(int i) {
        if (i < 0 || i >= modules.size()) {
            throw new IndexOutOfBoundsException("ModuleList: index " + i + " out of range for " + modules.size() + " modules");
        }
        return modules.get(i);
    }

    public int size() {
        return modules.size();
    }

    @Override
    public Iterator<M> iterator() {
        return List.copyOf(modules).iterator();
    }
}
