package dev.jaio.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The chart of {@code jaio bench --compare}: IOPS against iodepth (log2 x axis), one line per
 * contender with a legend, as a self-contained SVG document that any browser opens. A contender
 * measured once for all depths ({@code filechannel}, which has no depth) is drawn as a dashed
 * horizontal line.
 *
 * <p>Stateless; called once by the coordinating thread.
 */
final class CompareChart {
    private static final int WIDTH = 880;
    private static final int HEIGHT = 540;
    private static final int LEFT = 92;
    private static final int RIGHT = 210;
    private static final int TOP = 70;
    private static final int BOTTOM = 72;
    private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
        "#e377c2", "#7f7f7f"};

    private CompareChart() {
    }

    /**
     * @param results every run, in the order the contenders were given
     * @param depths the swept depths, ascending
     * @param title the first line of the title
     * @param subtitle the second line (machine facts)
     */
    static String svg(List<Run.Result> results, List<Integer> depths, String title, String subtitle) {
        Map<String, List<Run.Result>> byContender = new LinkedHashMap<>();
        for (Run.Result r : results) {
            byContender.computeIfAbsent(r.contender(), k -> new ArrayList<>()).add(r);
        }
        double max = results.stream().mapToDouble(Run.Result::iops).max().orElse(1);
        double top = niceCeiling(max * 1.08);
        int plotW = WIDTH - LEFT - RIGHT;
        int plotH = HEIGHT - TOP - BOTTOM;
        double lo = log2(depths.getFirst());
        double hi = log2(depths.getLast());

        StringBuilder s = new StringBuilder();
        s.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                + " viewBox=\"0 0 %d %d\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"13\">\n",
                WIDTH, HEIGHT, WIDTH, HEIGHT));
        s.append("<title>").append(xml(title)).append("</title>\n");
        s.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", WIDTH, HEIGHT));
        s.append(text(WIDTH / 2.0 - RIGHT / 2.0 + LEFT / 2.0, 28, "middle", "font-size=\"17\" font-weight=\"bold\"", title));
        s.append(text(WIDTH / 2.0 - RIGHT / 2.0 + LEFT / 2.0, 50, "middle", "fill=\"#555\"", subtitle));

        // Axes, grid and ticks.
        int ticks = 5;
        for (int i = 0; i <= ticks; i++) {
            double v = top * i / ticks;
            double y = TOP + plotH - plotH * i / (double) ticks;
            s.append(line(LEFT, y, LEFT + plotW, y, i == 0 ? "#333" : "#e3e3e3", 1, null));
            s.append(text(LEFT - 8, y + 4, "end", "", Bench.shortCount(v)));
        }
        for (int d : depths) {
            double x = xOf(d, lo, hi, plotW);
            s.append(line(x, TOP, x, TOP + plotH, "#f0f0f0", 1, null));
            s.append(line(x, TOP + plotH, x, TOP + plotH + 5, "#333", 1, null));
            s.append(text(x, TOP + plotH + 20, "middle", "", String.valueOf(d)));
        }
        s.append(line(LEFT, TOP, LEFT, TOP + plotH, "#333", 1, null));
        s.append(text(LEFT + plotW / 2.0, HEIGHT - 22, "middle", "",
                "iodepth: operations in flight per job (log2 scale)"));
        s.append(String.format(Locale.ROOT, "<text x=\"22\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(-90 22"
                + " %.1f)\">%s</text>\n", TOP + plotH / 2.0, TOP + plotH / 2.0,
                xml("IOPS: I/O operations per second (higher is better)")));

        // One line per contender, and the legend.
        int c = 0;
        for (Map.Entry<String, List<Run.Result>> e : byContender.entrySet()) {
            String color = COLORS[c % COLORS.length];
            List<Run.Result> rs = e.getValue();
            boolean flat = rs.size() == 1 && depths.size() > 1;
            if (flat) {
                Run.Result r = rs.getFirst();
                double y = yOf(r.iops(), top, plotH);
                s.append(line(LEFT, y, LEFT + plotW, y, color, 2, "6 4"));
                s.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"><title>%s"
                        + "</title></circle>\n", (double) LEFT + plotW, y, color,
                        xml(e.getKey() + " (no depth): " + Bench.count(Math.round(r.iops())) + " IOPS")));
            } else {
                StringBuilder pts = new StringBuilder();
                for (Run.Result r : rs) {
                    pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", xOf(r.depth(), lo, hi, plotW),
                            yOf(r.iops(), top, plotH)));
                }
                s.append(String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\""
                        + " stroke-width=\"2.5\" stroke-linejoin=\"round\"/>\n", pts.toString().strip(), color));
                for (Run.Result r : rs) {
                    s.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"><title>"
                            + "%s</title></circle>\n", xOf(r.depth(), lo, hi, plotW), yOf(r.iops(), top, plotH), color,
                            xml(e.getKey() + " at depth " + r.depth() + ": " + Bench.count(Math.round(r.iops()))
                                    + " IOPS, p99 " + Bench.micros(r.latencyMicros(99)) + " µs")));
                }
            }
            double ly = TOP + 10 + 24 * c;
            double lx = LEFT + plotW + 24;
            s.append(line(lx, ly, lx + 28, ly, color, flat ? 2 : 2.5, flat ? "6 4" : null));
            s.append(text(lx + 36, ly + 4.5, "start", "", e.getKey() + (flat ? " (no depth)" : "")));
            c++;
        }
        s.append("</svg>\n");
        return s.toString();
    }

    private static double xOf(int depth, double lo, double hi, int plotW) {
        if (hi == lo) {
            return LEFT + plotW / 2.0;
        }
        double margin = 24;
        return LEFT + margin + (plotW - 2 * margin) * (log2(depth) - lo) / (hi - lo);
    }

    private static double yOf(double iops, double top, int plotH) {
        return TOP + plotH - plotH * Math.min(iops, top) / top;
    }

    private static double log2(double v) {
        return Math.log(v) / Math.log(2);
    }

    /** The smallest 1, 2, 2.5 or 5 times a power of ten, times 5 ticks, at least {@code v}. */
    static double niceCeiling(double v) {
        if (!(v > 0)) {
            return 1;
        }
        double step = v / 5;
        double p = Math.pow(10, Math.floor(Math.log10(step)));
        for (double m : new double[] {1, 2, 2.5, 5, 10}) {
            if (m * p >= step) {
                return m * p * 5;
            }
        }
        return 10 * p * 5;
    }

    private static String line(double x1, double y1, double x2, double y2, String color, double width, String dash) {
        return String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\""
                + " stroke-width=\"%s\"%s/>\n", x1, y1, x2, y2, color, width,
                dash == null ? "" : " stroke-dasharray=\"" + dash + "\"");
    }

    private static String text(double x, double y, String anchor, String attrs, String content) {
        return String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\"%s>%s</text>\n", x, y, anchor,
                attrs.isEmpty() ? "" : " " + attrs, xml(content));
    }

    /** Escapes text for XML character data and attribute values. */
    static String xml(String v) {
        StringBuilder s = new StringBuilder(v.length());
        for (int i = 0; i < v.length(); i++) {
            char ch = v.charAt(i);
            switch (ch) {
                case '&' -> s.append("&amp;");
                case '<' -> s.append("&lt;");
                case '>' -> s.append("&gt;");
                case '"' -> s.append("&quot;");
                case '\'' -> s.append("&apos;");
                default -> {
                    if (ch >= 0x20 || ch == '\t' || ch == '\n') {
                        s.append(ch);
                    }
                }
            }
        }
        return s.toString();
    }
}
