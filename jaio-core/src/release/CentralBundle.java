import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * Writes the bundle that the Maven Central Portal accepts for one artifact, then checks it the way
 * Central's validation does. Run by {@code ./mvnw -Prelease package} (jaio-core's release profile)
 * with the JDK that runs Maven, as a single source file:
 *
 * <pre>java CentralBundle.java GROUP ARTIFACT VERSION TARGET_DIR SIGN_SKIPPED</pre>
 *
 * <p>Reads from TARGET_DIR (the module's {@code target/}) the flattened POM
 * ({@code .flattened-pom.xml}), {@code ARTIFACT-VERSION.jar}, {@code -sources.jar} and
 * {@code -javadoc.jar}, and the {@code .asc} signatures maven-gpg-plugin wrote beside them when a
 * key was named ({@code ARTIFACT-VERSION.pom.asc} for the POM). Writes {@code TARGET_DIR/central/ARTIFACT-VERSION-bundle.zip}: the Maven repository
 * layout ({@code dev/jaio/jaio/VERSION/...}) with an MD5 and a SHA-1 file beside each file, and its
 * {@code .asc} signature when signed.
 *
 * <p>The check reopens the zip and fails the build (exit status 1, one line per problem) unless:
 * every file and its checksums are there and the checksums match; the POM names the coordinates
 * and has {@code name}, {@code description}, {@code url}, a license, a developer and {@code scm}
 * ({@code url} and {@code connection}), and no parent (a parent would have to be published too);
 * the sources jar holds {@code module-info.java}; the Javadoc jar holds {@code index.html}; every
 * file has its signature when signing was asked for. Unsigned, and a SNAPSHOT version, are each
 * said in one line: Central refuses both, but the bundle is still built for inspection.
 */
public final class CentralBundle {
    private static final String[] CHECKSUMS = {"MD5", "SHA-1"};

    private final String group;
    private final String artifact;
    private final String version;
    private final Path target;
    private final boolean signed;

    private CentralBundle(String group, String artifact, String version, Path target, boolean signed) {
        this.group = group;
        this.artifact = artifact;
        this.version = version;
        this.target = target;
        this.signed = signed;
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 5) {
            System.err.println("usage: java CentralBundle.java GROUP ARTIFACT VERSION TARGET_DIR SIGN_SKIPPED(true|false)");
            System.exit(2);
        }
        CentralBundle bundle = new CentralBundle(args[0], args[1], args[2], Path.of(args[3]), !Boolean.parseBoolean(args[4]));
        Path zip = bundle.write();
        List<String> problems = bundle.check(zip);
        if (!problems.isEmpty()) {
            for (String problem : problems) {
                System.err.println("central bundle: " + problem);
            }
            System.err.println("central bundle: " + zip + " is NOT what Central accepts (" + problems.size() + " problems above)");
            System.exit(1);
        }
        System.out.println("central bundle: " + zip + " holds what Central requires ("
                + (bundle.signed ? "signed" : "unsigned") + ")");
        if (!bundle.signed) {
            System.out.println("central bundle: not signed, no key named: Central refuses unsigned bundles;"
                    + " sign with -Dgpg.keyname=KEYID (a key in gpg's keyring)");
        }
        if (bundle.version.endsWith("-SNAPSHOT")) {
            System.out.println("central bundle: version " + bundle.version
                    + " is a SNAPSHOT: Central accepts release versions only; set <version> (all poms) first");
        }
    }

    /** The files of the artifact, by their name in the bundle, and where they are now. */
    private Map<String, Path> files() {
        String base = artifact + "-" + version;
        Map<String, Path> files = new LinkedHashMap<>();
        files.put(base + ".pom", target.resolve(".flattened-pom.xml"));
        files.put(base + ".jar", target.resolve(base + ".jar"));
        files.put(base + "-sources.jar", target.resolve(base + "-sources.jar"));
        files.put(base + "-javadoc.jar", target.resolve(base + "-javadoc.jar"));
        return files;
    }

    private String directory() {
        return group.replace('.', '/') + "/" + artifact + "/" + version + "/";
    }

    private Path write() throws IOException, NoSuchAlgorithmException {
        Path out = target.resolve("central");
        Files.createDirectories(out);
        Path zip = out.resolve(artifact + "-" + version + "-bundle.zip");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(zip))) {
            for (Map.Entry<String, Path> file : files().entrySet()) {
                if (!Files.isRegularFile(file.getValue())) {
                    throw new IOException(file.getValue() + " is missing: run the whole package phase (./mvnw -Prelease package)");
                }
                byte[] bytes = Files.readAllBytes(file.getValue());
                put(z, file.getKey(), bytes);
                for (String algorithm : CHECKSUMS) {
                    put(z, file.getKey() + extension(algorithm), hex(algorithm, bytes).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                }
                Path signature = target.resolve(file.getKey() + ".asc");
                if (signed && Files.isRegularFile(signature)) {
                    // A signature older than its file was left by an earlier build: not this file's.
                    if (Files.getLastModifiedTime(signature).compareTo(Files.getLastModifiedTime(file.getValue())) < 0) {
                        throw new IOException(signature + " is older than " + file.getValue()
                                + ": a stale signature; run the whole package phase again");
                    }
                    put(z, file.getKey() + ".asc", Files.readAllBytes(signature));
                }
            }
        }
        return zip;
    }

    private void put(ZipOutputStream z, String name, byte[] bytes) throws IOException {
        ZipEntry entry = new ZipEntry(directory() + name);
        entry.setTime(0L); // the bundle of one build is byte-for-byte the bundle of the next
        z.putNextEntry(entry);
        z.write(bytes);
        z.closeEntry();
    }

    /** What Central would refuse in this zip, one sentence per problem; empty when it is fine. */
    private List<String> check(Path zipPath) throws Exception {
        List<String> problems = new ArrayList<>();
        try (ZipFile zip = new ZipFile(zipPath.toFile())) {
            for (String name : files().keySet()) {
                String path = directory() + name;
                ZipEntry entry = zip.getEntry(path);
                if (entry == null) {
                    problems.add(path + " is missing");
                    continue;
                }
                byte[] bytes = read(zip, entry);
                for (String algorithm : CHECKSUMS) {
                    ZipEntry sum = zip.getEntry(path + extension(algorithm));
                    if (sum == null) {
                        problems.add(path + extension(algorithm) + " is missing");
                    } else if (!new String(read(zip, sum), java.nio.charset.StandardCharsets.US_ASCII).trim().equals(hex(algorithm, bytes))) {
                        problems.add(path + extension(algorithm) + " does not match the file");
                    }
                }
                if (signed && zip.getEntry(path + ".asc") == null) {
                    problems.add(path + ".asc is missing (signing was asked for; did maven-gpg-plugin run?)");
                }
                if (name.endsWith(".pom")) {
                    checkPom(bytes, problems);
                } else if (name.endsWith("-sources.jar")) {
                    requireEntry(bytes, "module-info.java", name, problems);
                } else if (name.endsWith("-javadoc.jar")) {
                    requireEntry(bytes, "index.html", name, problems);
                }
            }
        }
        return problems;
    }

    private void checkPom(byte[] pom, List<String> problems) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(false);
        Element project = factory.newDocumentBuilder().parse(new java.io.ByteArrayInputStream(pom)).getDocumentElement();
        expect(project, "groupId", group, problems);
        expect(project, "artifactId", artifact, problems);
        expect(project, "version", version, problems);
        for (String required : new String[] {"name", "description", "url"}) {
            if (text(project, required).isBlank()) {
                problems.add("the POM has no <" + required + ">");
            }
        }
        if (child(project, "parent") != null) {
            problems.add("the POM names a <parent>, which Central would need too (is flatten-maven-plugin configured?)");
        }
        Element licenses = child(project, "licenses");
        if (licenses == null || child(licenses, "license") == null || text(child(licenses, "license"), "name").isBlank()) {
            problems.add("the POM has no <licenses><license><name>");
        }
        Element developers = child(project, "developers");
        Element developer = developers == null ? null : child(developers, "developer");
        if (developer == null || (text(developer, "name").isBlank() && text(developer, "id").isBlank())) {
            problems.add("the POM has no <developers><developer> with a name or id");
        }
        Element scm = child(project, "scm");
        if (scm == null || text(scm, "url").isBlank() || text(scm, "connection").isBlank()) {
            problems.add("the POM has no <scm> with <url> and <connection>");
        }
    }

    private static void expect(Element project, String name, String wanted, List<String> problems) {
        String found = text(project, name);
        if (!found.equals(wanted)) {
            problems.add("the POM's <" + name + "> is '" + found + "', not '" + wanted + "'");
        }
    }

    private static void requireEntry(byte[] jar, String entry, String jarName, List<String> problems) throws IOException {
        Path temp = Files.createTempFile("central-bundle-", ".jar");
        try {
            Files.write(temp, jar);
            try (ZipFile zip = new ZipFile(temp.toFile())) {
                if (zip.getEntry(entry) == null) {
                    problems.add(jarName + " has no " + entry);
                }
            }
        } finally {
            Files.delete(temp);
        }
    }

    private static Element child(Element parent, String name) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(name)) {
                return e;
            }
        }
        return null;
    }

    private static String text(Element parent, String name) {
        Element e = child(parent, name);
        return e == null ? "" : e.getTextContent().trim();
    }

    private static byte[] read(ZipFile zip, ZipEntry entry) throws IOException {
        try (InputStream in = zip.getInputStream(entry)) {
            return in.readAllBytes();
        }
    }

    private static String extension(String algorithm) {
        return "." + algorithm.toLowerCase(java.util.Locale.ROOT).replace("-", "");
    }

    private static String hex(String algorithm, byte[] bytes) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(bytes));
    }
}
