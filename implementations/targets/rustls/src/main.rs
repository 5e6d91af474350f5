//! rustls-tls: rustls 0.20 as a TLS server or client for tls-harness.
//!
//!     rustls-tls server HOST:PORT CHAIN.pem KEY.pem [CHAIN.pem KEY.pem ...]
//!     rustls-tls client HOST:PORT CA.pem [CHAIN.pem KEY.pem]
//!     rustls-tls version
//!
//! The server holds each PEM chain (leaf, then the CA) with its PKCS#8 key; for each ClientHello it takes the
//! first whose key can sign with one of the client's signature schemes (rustls's ResolvesServerCert). It serves
//! each connection in its own thread and echoes what it reads; it prints "LISTENING HOST:PORT" once it listens.
//!
//! The client verifies the server's chain against CA.pem and its name against localhost (rustls's WebPKI
//! verifier, the one `with_root_certificates` installs), sends its certificate when asked, writes what it reads
//! on stdin to the connection and what it receives to stdout, and exits when the server closes.
//!
//! Everything else is rustls's safe defaults (TLS 1.3 and 1.2, its suites and groups), with session tickets on
//! (`Ticketer`) and ALPN http/1.1.
use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::{any_supported_type, CertifiedKey};
use rustls::{
    Certificate, ClientConfig, ClientConnection, PrivateKey, RootCertStore, ServerConfig, ServerConnection,
    StreamOwned,
};

fn die(msg: String) -> ! {
    eprintln!("rustls-tls: {}", msg);
    std::process::exit(1);
}

fn certs(path: &str) -> Vec<Certificate> {
    let mut rd = BufReader::new(File::open(path).unwrap_or_else(|e| die(format!("{}: {}", path, e))));
    let certs = rustls_pemfile::certs(&mut rd).unwrap_or_else(|e| die(format!("{}: {}", path, e)));
    if certs.is_empty() {
        die(format!("{}: no certificate", path));
    }
    certs.into_iter().map(Certificate).collect()
}

fn key(path: &str) -> PrivateKey {
    let mut rd = BufReader::new(File::open(path).unwrap_or_else(|e| die(format!("{}: {}", path, e))));
    let keys = rustls_pemfile::pkcs8_private_keys(&mut rd).unwrap_or_else(|e| die(format!("{}: {}", path, e)));
    match keys.into_iter().next() {
        Some(k) => PrivateKey(k),
        None => die(format!("{}: no PKCS#8 key", path)),
    }
}

/// Several certificates (rustls's extension point for choosing one: ResolvesServerCert). The first whose key can
/// sign with a scheme the client offers and, when the client offers TLS 1.2 ECDHE suites, fits one of them (an
/// ECDHE_ECDSA suite for an ECDSA or Ed25519 key, an ECDHE_RSA suite for an RSA key; in TLS 1.3 any key that can
/// sign fits); else the first that can sign; else the first (as rustls's own single-certificate resolver: rustls
/// then refuses the handshake itself, with the alert it chooses).
struct BySignatureScheme(Vec<Arc<CertifiedKey>>);

fn fits_tls12_suites(ck: &CertifiedKey, suites: &[rustls::CipherSuite]) -> bool {
    let names: Vec<String> = suites.iter().map(|s| format!("{:?}", s)).filter(|n| n.starts_with("TLS_ECDHE_")).collect();
    names.is_empty()
        || names.iter().any(|name| match ck.key.algorithm() {
            rustls::SignatureAlgorithm::RSA => name.starts_with("TLS_ECDHE_RSA_"),
            rustls::SignatureAlgorithm::ECDSA | rustls::SignatureAlgorithm::ED25519 => name.starts_with("TLS_ECDHE_ECDSA_"),
            _ => false,
        })
}

impl ResolvesServerCert for BySignatureScheme {
    fn resolve(&self, hello: ClientHello) -> Option<Arc<CertifiedKey>> {
        let signs = |ck: &&Arc<CertifiedKey>| ck.key.choose_scheme(hello.signature_schemes()).is_some();
        self.0
            .iter()
            .filter(signs)
            .find(|ck| fits_tls12_suites(ck, hello.cipher_suites()))
            .or_else(|| self.0.iter().find(signs))
            .or_else(|| self.0.first())
            .cloned()
    }
}

fn server(addr: &str, pairs: &[String]) {
    // cauth: a trailing `-client-ca CA.pem` requests a client certificate (AllowAnyAnonymousOrAuthenticatedClient:
    // an empty Certificate is accepted) and verifies a certificate that is sent against that CA.
    let (pairs, client_ca) = match pairs {
        [rest @ .., flag, ca] if flag == "-client-ca" => (rest, Some(ca.as_str())),
        _ => (pairs, None),
    };
    let mut keys = Vec::new();
    for pair in pairs.chunks(2) {
        let signing = any_supported_type(&key(&pair[1])).unwrap_or_else(|_| die(format!("{}: unsupported key", pair[1])));
        keys.push(Arc::new(CertifiedKey::new(certs(&pair[0]), signing)));
    }
    let builder = ServerConfig::builder().with_safe_defaults();
    let builder = match client_ca {
        Some(ca) => builder.with_client_cert_verifier(rustls::server::AllowAnyAnonymousOrAuthenticatedClient::new(roots(ca))),
        None => builder.with_no_client_auth(),
    };
    let mut config = builder.with_cert_resolver(Arc::new(BySignatureScheme(keys)));
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    config.ticketer = rustls::Ticketer::new().unwrap_or_else(|e| die(format!("ticketer: {}", e)));
    let config = Arc::new(config);

    let listener = TcpListener::bind(addr).unwrap_or_else(|e| die(format!("{}: {}", addr, e)));
    println!("LISTENING {}", listener.local_addr().unwrap());
    io::stdout().flush().ok();
    for sock in listener.incoming() {
        let sock = match sock {
            Ok(s) => s,
            Err(e) => die(format!("accept: {}", e)),
        };
        let config = config.clone();
        std::thread::spawn(move || serve(config, sock));
    }
}

/// The handshake, one log line, then an echo until the client closes or an error ends the connection (rustls
/// sends its alert for the error; a close_notify from the client is answered with one).
fn serve(config: Arc<ServerConfig>, sock: TcpStream) {
    let peer = sock.peer_addr().map(|a| a.to_string()).unwrap_or_default();
    sock.set_nodelay(true).ok();
    let conn = match ServerConnection::new(config) {
        Ok(c) => c,
        Err(e) => return eprintln!("rustls-tls: {}: {}", peer, e),
    };
    let mut tls = StreamOwned::new(conn, sock);
    while tls.conn.is_handshaking() {
        if let Err(e) = tls.conn.complete_io(&mut tls.sock) {
            return eprintln!("rustls-tls: {}: handshake failed: {}", peer, e);
        }
    }
    eprintln!(
        "rustls-tls: {}: {:?} {:?} alpn={:?}",
        peer,
        tls.conn.protocol_version(),
        tls.conn.negotiated_cipher_suite().map(|s| s.suite()),
        tls.conn.alpn_protocol().map(String::from_utf8_lossy)
    );
    let mut buf = [0u8; 16384];
    loop {
        match tls.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                if let Err(e) = tls.write_all(&buf[..n]) {
                    return eprintln!("rustls-tls: {}: {}", peer, e);
                }
            }
            Err(e) => return eprintln!("rustls-tls: {}: {}", peer, e),
        }
    }
    tls.conn.send_close_notify();
    tls.conn.complete_io(&mut tls.sock).ok();
}

/// The certificates of a PEM file as trust anchors (the client's roots, the server's client CAs).
fn roots(ca: &str) -> RootCertStore {
    let mut roots = RootCertStore::empty();
    for c in certs(ca) {
        roots.add(&c).unwrap_or_else(|e| die(format!("{}: {:?}", ca, e)));
    }
    roots
}

fn client(addr: &str, ca: &str, pair: &[String]) {
    let builder = ClientConfig::builder().with_safe_defaults().with_root_certificates(roots(ca));
    let mut config = if pair.len() == 2 {
        builder.with_single_cert(certs(&pair[0]), key(&pair[1])).unwrap_or_else(|e| die(format!("{}: {}", pair[0], e)))
    } else {
        builder.with_no_client_auth()
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let name = "localhost".try_into().unwrap();
    let conn = ClientConnection::new(Arc::new(config), name).unwrap_or_else(|e| die(format!("{}", e)));
    let sock = TcpStream::connect(addr).unwrap_or_else(|e| die(format!("{}: {}", addr, e)));
    sock.set_nodelay(true).ok();
    let mut tls = StreamOwned::new(conn, sock);
    while tls.conn.is_handshaking() {
        if let Err(e) = tls.conn.complete_io(&mut tls.sock) {
            die(format!("handshake failed: {}", e));
        }
    }
    eprintln!(
        "rustls-tls: connected: {:?} {:?} alpn={:?}",
        tls.conn.protocol_version(),
        tls.conn.negotiated_cipher_suite().map(|s| s.suite()),
        tls.conn.alpn_protocol().map(String::from_utf8_lossy)
    );

    // stdin is read in its own thread; the connection is served here, reading with a short timeout so that
    // what stdin brings is sent promptly. At stdin EOF: close_notify (the connection stays open for reading).
    let (tx, rx) = mpsc::channel::<Option<Vec<u8>>>();
    std::thread::spawn(move || {
        let mut buf = [0u8; 16384];
        loop {
            match io::stdin().read(&mut buf) {
                Ok(0) | Err(_) => return tx.send(None).ok(),
                Ok(n) => {
                    if tx.send(Some(buf[..n].to_vec())).is_err() {
                        return None;
                    }
                }
            }
        };
    });
    tls.sock.set_read_timeout(Some(Duration::from_millis(20))).ok();
    let mut out = io::stdout();
    let mut buf = [0u8; 16384];
    loop {
        while let Ok(msg) = rx.try_recv() {
            match msg {
                Some(data) => {
                    if let Err(e) = tls.write_all(&data) {
                        die(format!("{}", e));
                    }
                }
                None => {
                    tls.conn.send_close_notify();
                    tls.conn.complete_io(&mut tls.sock).ok();
                }
            }
        }
        match tls.read(&mut buf) {
            Ok(0) => {
                // The server's close_notify: answer with ours before the process exits and closes the socket
                // (RFC 8446 6.1: "Each party MUST send a "close_notify" alert before closing its write side").
                tls.conn.send_close_notify();
                tls.conn.complete_io(&mut tls.sock).ok();
                break;
            }
            Ok(n) => {
                out.write_all(&buf[..n]).ok();
                out.flush().ok();
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock || e.kind() == io::ErrorKind::TimedOut => {}
            Err(e) => die(format!("{}", e)),
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("server") if args.len() >= 4 && args.len() % 2 == 0 => server(&args[1], &args[2..]),
        Some("client") if args.len() == 3 || args.len() == 5 => client(&args[1], &args[2], &args[3..]),
        Some("version") if args.len() == 1 => println!("{}", option_env!("RUSTLS_VERSION").unwrap_or("rustls 0.20")),
        _ => {
            eprintln!("usage: rustls-tls server HOST:PORT CHAIN KEY [CHAIN KEY ...] [-client-ca CA] | client HOST:PORT CA [CHAIN KEY] | version");
            std::process::exit(2);
        }
    }
}
