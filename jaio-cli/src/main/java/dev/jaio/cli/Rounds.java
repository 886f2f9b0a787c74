package dev.jaio.cli;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The results of {@code jaio bench --rounds N}: every run of every round (contenders and fio in
 * turn, round after round, so that a machine whose speed drifts treats them alike), and for the
 * table the median of each contender at each depth, by IOPS: the round whose IOPS are the
 * median, with its latencies and CPU, not a mix of rounds.
 *
 * <p>Used by the coordinating thread only.
 */
final class Rounds {
    private final List<Run.Result> all = new ArrayList<>();
    private final List<FioRun.Result> fio = new ArrayList<>();
    private final Set<String> skipped = new HashSet<>();

    void add(Run.Result r) {
        all.add(r);
    }

    void addFio(FioRun.Result r) {
        fio.add(r);
    }

    /** {@code contender} cannot run here: later rounds leave it out. */
    void skip(String contender) {
        skipped.add(contender);
    }

    boolean skipped(String contender) {
        return skipped.contains(contender);
    }

    /** Every run of every round, in the order they ran. */
    List<Run.Result> all() {
        return all;
    }

    /** The median run of each contender at each depth, in the order of their first run. */
    List<Run.Result> medians() {
        Map<String, List<Run.Result>> byRun = new LinkedHashMap<>();
        for (Run.Result r : all) {
            byRun.computeIfAbsent(r.contender() + "@" + r.depth(), k -> new ArrayList<>()).add(r);
        }
        return byRun.values().stream().map(rs -> median(rs, Comparator.comparingDouble(Run.Result::iops))).toList();
    }

    /** The median fio run at each depth, in the order of their first run. */
    List<FioRun.Result> fioMedians() {
        Map<Integer, List<FioRun.Result>> byDepth = new LinkedHashMap<>();
        for (FioRun.Result r : fio) {
            byDepth.computeIfAbsent(r.depth(), k -> new ArrayList<>()).add(r);
        }
        return byDepth.values().stream().map(rs -> median(rs, Comparator.comparingDouble(FioRun.Result::iops)))
                .toList();
    }

    /** The middle one by {@code order}; of an even number, the lower of the two in the middle. */
    static <T> T median(List<T> runs, Comparator<T> order) {
        List<T> sorted = new ArrayList<>(runs);
        sorted.sort(order);
        return sorted.get((sorted.size() - 1) / 2);
    }
}
