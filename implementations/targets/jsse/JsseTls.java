import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * Java's JSSE (the JDK's SunJSSE provider) as a TLS server or client for tls-harness.
 *
 * <pre>
 *   java -cp build JsseTls server PORT CHAIN.pem KEY.pem [CHAIN.pem KEY.pem ...] [-client-ca CA.pem]
 *   java -cp build JsseTls client HOST PORT CA.pem [CHAIN.pem KEY.pem]
 * </pre>
 *
 * Keys and certificates: each PEM chain (leaf, then the CA) with its PKCS#8 key goes into an in-memory PKCS12
 * KeyStore under its own alias; the default KeyManagerFactory (SunX509) picks the entry that fits the handshake
 * (key type, signature schemes). The server listens on 127.0.0.1, sets TCP_NODELAY on each accepted socket,
 * serves each connection in its own thread and echoes what it reads; it prints "LISTENING PORT" once it listens.
 *
 * The client trusts the CA (a TrustStore holding it), checks the server's name with the endpoint identification
 * algorithm "HTTPS", sends its client certificate when asked, copies stdin to the connection and the
 * connection to stdout, and exits when the server closes the connection.
 *
 * Everything else is JSSE's defaults (protocols TLS 1.3 and 1.2, suites, groups, signature schemes, tickets).
 */
public final class JsseTls {
    private static final char[] PASSWORD = "tls-harness".toCharArray();

    public static void main(String[] args) throws Exception {
        if (args.length >= 3 && args[0].equals("server") && args.length % 2 == 0) {
            server(args);
        } else if ((args.length == 4 || args.length == 6) && args[0].equals("client")) {
            client(args);
        } else if (args.length == 1 && args[0].equals("version")) {
            System.out.println("Java " + System.getProperty("java.version") + " JSSE ("
                    + SSLContext.getDefault().getProvider() + ")");
        } else {
            System.err.println("usage: JsseTls server PORT CHAIN KEY [CHAIN KEY ...] | client HOST PORT CA [CHAIN KEY] | version");
            System.exit(2);
        }
    }

    /** PEM blocks of one type, decoded. */
    private static List<byte[]> pem(Path file, String type) throws IOException {
        String text = Files.readString(file, StandardCharsets.US_ASCII);
        List<byte[]> out = new ArrayList<>();
        String begin = "-----BEGIN " + type + "-----", end = "-----END " + type + "-----";
        for (int i = text.indexOf(begin); i >= 0; i = text.indexOf(begin, i + 1)) {
            int j = text.indexOf(end, i);
            out.add(Base64.getMimeDecoder().decode(text.substring(i + begin.length(), j)));
        }
        if (out.isEmpty()) throw new IOException(file + ": no " + type);
        return out;
    }

    private static Certificate[] chain(Path file) throws Exception {
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        List<Certificate> certs = new ArrayList<>();
        for (byte[] der : pem(file, "CERTIFICATE")) certs.add(cf.generateCertificate(new ByteArrayInputStream(der)));
        return certs.toArray(new Certificate[0]);
    }

    private static PrivateKey key(Path file, Certificate leaf) throws Exception {
        byte[] der = pem(file, "PRIVATE KEY").get(0);
        String alg = leaf.getPublicKey().getAlgorithm(); // RSA, EC, EdDSA
        return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
    }

    /** A KeyManager context with each CHAIN KEY pair of args[from..] as its own entry. */
    private static KeyManagerFactory keyManagers(String[] args, int from) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        for (int i = from; i + 1 < args.length; i += 2) {
            Certificate[] certs = chain(Path.of(args[i]));
            ks.setKeyEntry("key" + (i - from) / 2, key(Path.of(args[i + 1]), certs[0]), PASSWORD, certs);
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, PASSWORD);
        return kmf;
    }

    private static void server(String[] args) throws Exception {
        // cauth: a trailing `-client-ca CA.pem` requests a client certificate (want, not need: an empty
        // Certificate is accepted) and verifies it against that CA.
        String clientCa = null;
        if (args.length >= 5 && args[args.length - 2].equals("-client-ca")) {
            clientCa = args[args.length - 1];
            args = java.util.Arrays.copyOf(args, args.length - 2);
        }
        int port = Integer.parseInt(args[1]);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(keyManagers(args, 2).getKeyManagers(), clientCa != null ? trustManagers(clientCa).getTrustManagers() : null, null);
        SSLServerSocket listener = (SSLServerSocket) ctx.getServerSocketFactory()
                .createServerSocket(port, 128, InetAddress.getByName("127.0.0.1"));
        SSLParameters params = listener.getSSLParameters();
        params.setApplicationProtocols(new String[] {"http/1.1"});
        if (clientCa != null) params.setWantClientAuth(true);
        listener.setSSLParameters(params);
        System.out.println("LISTENING " + listener.getLocalPort());
        System.out.flush();
        while (true) {
            SSLSocket s = (SSLSocket) listener.accept();
            s.setTcpNoDelay(true);
            Thread t = new Thread(() -> serve(s));
            t.setDaemon(true);
            t.start();
        }
    }

    /** The handshake, one log line, then an echo until the client closes or an error ends the connection. */
    private static void serve(SSLSocket s) {
        String peer = String.valueOf(s.getRemoteSocketAddress());
        try (s) {
            s.startHandshake();
            SSLSession session = s.getSession();
            System.err.println("JsseTls: " + peer + ": " + session.getProtocol() + " " + session.getCipherSuite()
                    + " alpn=" + s.getApplicationProtocol());
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            byte[] buf = new byte[16384];
            for (int n; (n = in.read(buf)) >= 0; ) {
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            System.err.println("JsseTls: " + peer + ": " + e);
        }
    }

    /** The certificates of a PEM file as trust anchors (the client's roots, the server's client CAs). */
    private static TrustManagerFactory trustManagers(String caFile) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        Certificate[] cas = chain(Path.of(caFile));
        for (int i = 0; i < cas.length; i++) trust.setCertificateEntry("ca" + i, cas[i]);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        return tmf;
    }

    private static void client(String[] args) throws Exception {
        String host = args[1];
        int port = Integer.parseInt(args[2]);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(args.length == 6 ? keyManagers(args, 4).getKeyManagers() : null, trustManagers(args[3]).getTrustManagers(), null);

        // The name the certificate must have (and SNI) is the peer host of createSocket: localhost, connected to
        // HOST (127.0.0.1 from the harness) so that localhost's IPv6 address is never tried.
        java.net.Socket tcp = new java.net.Socket();
        tcp.setTcpNoDelay(true);
        tcp.connect(new InetSocketAddress(host, port));
        SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(tcp, "localhost", port, true);
        SSLParameters params = s.getSSLParameters();
        params.setEndpointIdentificationAlgorithm("HTTPS");
        params.setApplicationProtocols(new String[] {"http/1.1"});
        s.setSSLParameters(params);
        try {
            s.startHandshake();
        } catch (IOException e) {
            System.err.println("JsseTls: handshake failed: " + e);
            System.exit(1);
        }
        SSLSession session = s.getSession();
        System.err.println("JsseTls: connected: " + session.getProtocol() + " " + session.getCipherSuite()
                + " alpn=" + s.getApplicationProtocol());
        Thread stdin = new Thread(() -> {
            try {
                OutputStream out = s.getOutputStream();
                byte[] buf = new byte[16384];
                for (int n; (n = System.in.read(buf)) >= 0; ) {
                    out.write(buf, 0, n);
                    out.flush();
                }
                s.shutdownOutput(); // close_notify at stdin EOF; the connection stays open for reading
            } catch (IOException e) {
                // the connection is gone: the main thread reports it
            }
        });
        stdin.setDaemon(true);
        stdin.start();
        try {
            InputStream in = s.getInputStream();
            byte[] buf = new byte[16384];
            for (int n; (n = in.read(buf)) >= 0; ) {
                System.out.write(buf, 0, n);
                System.out.flush();
            }
        } catch (IOException e) {
            System.err.println("JsseTls: " + e);
            System.exit(1);
        }
        s.close();
    }
}
