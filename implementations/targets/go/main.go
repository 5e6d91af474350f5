// go-tls: Go's crypto/tls (standard library only) as a TLS server or client for tls-harness.
//
//	go-tls server -listen 127.0.0.1:PORT -cert CHAIN.pem -key KEY.pem [-cert ... -key ...]
//	go-tls client -connect 127.0.0.1:PORT -ca CA.pem -server-name localhost [-cert CHAIN.pem -key KEY.pem]
//	go-tls version
//
// The server loads each certificate chain (leaf, then the CA) with its PKCS#8 key (tls.LoadX509KeyPair) into
// one tls.Config; with several, crypto/tls picks the first one the ClientHello supports (signature_algorithms,
// supported_groups, cipher suites). It serves every connection in its own goroutine and echoes what it reads.
// It prints "LISTENING host:port" once it listens.
//
// The client verifies the server's chain against -ca and its name against -server-name (crypto/tls's default
// verification), offers -cert/-key when the server asks for a client certificate, writes what it reads on
// stdin to the connection and what it receives to stdout, and exits when the server closes the connection.
//
// Everything else is crypto/tls's defaults (cipher suites, groups, signature schemes, session tickets), except
// the versions: TLS 1.2 and 1.3 only, and ALPN http/1.1.
package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"runtime"
	"strings"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

// loadPool reads the PEM certificates of a file into a pool (the trust anchors: the client's roots, the server's
// client CAs); a file that cannot be read or holds no certificate ends the program.
func loadPool(file string) *x509.CertPool {
	pem, err := os.ReadFile(file)
	if err != nil {
		log.Fatalf("go-tls: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		log.Fatalf("go-tls: %s: no certificate", file)
	}
	return pool
}

func loadPairs(certs, keys list) []tls.Certificate {
	if len(certs) != len(keys) {
		log.Fatalf("go-tls: %d -cert but %d -key", len(certs), len(keys))
	}
	var out []tls.Certificate
	for i := range certs {
		pair, err := tls.LoadX509KeyPair(certs[i], keys[i])
		if err != nil {
			log.Fatalf("go-tls: %s: %v", certs[i], err)
		}
		out = append(out, pair)
	}
	return out
}

func version(v uint16) string {
	switch v {
	case tls.VersionTLS13:
		return "TLSv1.3"
	case tls.VersionTLS12:
		return "TLSv1.2"
	}
	return fmt.Sprintf("0x%04x", v)
}

func server(args []string) {
	fs := flag.NewFlagSet("server", flag.ExitOnError)
	listen := fs.String("listen", "127.0.0.1:4433", "address to listen on")
	var certs, keys list
	fs.Var(&certs, "cert", "certificate chain PEM (repeatable)")
	fs.Var(&keys, "key", "PKCS#8 private key PEM (repeatable, one per -cert)")
	clientCA := fs.String("client-ca", "", "request a client certificate and verify it against this CA (PEM); an empty Certificate is accepted")
	fs.Parse(args)

	config := &tls.Config{
		Certificates: loadPairs(certs, keys),
		MinVersion:   tls.VersionTLS12,
		NextProtos:   []string{"http/1.1"},
	}
	if *clientCA != "" {
		config.ClientCAs = loadPool(*clientCA)
		config.ClientAuth = tls.VerifyClientCertIfGiven
	}
	ln, err := tls.Listen("tcp", *listen, config)
	if err != nil {
		log.Fatalf("go-tls: %v", err)
	}
	fmt.Printf("LISTENING %s\n", ln.Addr())
	for {
		conn, err := ln.Accept()
		if err != nil {
			log.Fatalf("go-tls: accept: %v", err)
		}
		go serve(conn.(*tls.Conn))
	}
}

// serve completes the handshake, logs it, and echoes until the client closes or an error ends the connection.
// Closing sends close_notify (crypto/tls answers the client's close_notify that way).
func serve(conn *tls.Conn) {
	defer conn.Close()
	peer := conn.RemoteAddr()
	if err := conn.Handshake(); err != nil {
		log.Printf("go-tls: %s: handshake failed: %v", peer, err)
		return
	}
	st := conn.ConnectionState()
	log.Printf("go-tls: %s: %s %s alpn=%q sni=%q resumed=%v", peer, version(st.Version),
		tls.CipherSuiteName(st.CipherSuite), st.NegotiatedProtocol, st.ServerName, st.DidResume)
	if _, err := io.Copy(conn, conn); err != nil {
		log.Printf("go-tls: %s: %v", peer, err)
	}
}

func client(args []string) {
	fs := flag.NewFlagSet("client", flag.ExitOnError)
	connect := fs.String("connect", "127.0.0.1:4433", "address to connect to")
	caFile := fs.String("ca", "", "PEM file of the CA certificates to trust")
	name := fs.String("server-name", "localhost", "SNI name, and the name the certificate must have")
	var certs, keys list
	fs.Var(&certs, "cert", "client certificate chain PEM")
	fs.Var(&keys, "key", "its PKCS#8 private key PEM")
	fs.Parse(args)

	roots := loadPool(*caFile)
	config := &tls.Config{
		RootCAs:      roots,
		ServerName:   *name,
		Certificates: loadPairs(certs, keys),
		MinVersion:   tls.VersionTLS12,
		NextProtos:   []string{"http/1.1"},
		// A session cache, as a client that resumes has: crypto/tls then offers session tickets (TLS 1.2
		// session_ticket, TLS 1.3 psk_key_exchange_modes). It lives in this process only: no resumption
		// across the harness's client processes.
		ClientSessionCache: tls.NewLRUClientSessionCache(0),
	}
	conn, err := tls.Dial("tcp", *connect, config)
	if err != nil {
		log.Fatalf("go-tls: %v", err)
	}
	st := conn.ConnectionState()
	log.Printf("go-tls: connected: %s %s alpn=%q resumed=%v", version(st.Version),
		tls.CipherSuiteName(st.CipherSuite), st.NegotiatedProtocol, st.DidResume)
	go func() {
		// stdin to the server; at stdin EOF, close_notify (the connection stays open for reading).
		if _, err := io.Copy(conn, os.Stdin); err == nil {
			conn.CloseWrite()
		}
	}()
	_, err = io.Copy(os.Stdout, conn)
	if err != nil && !errors.Is(err, io.EOF) {
		log.Fatalf("go-tls: %v", err)
	}
	conn.Close()
}

func main() {
	log.SetFlags(0)
	switch {
	case len(os.Args) < 2:
	case os.Args[1] == "server":
		server(os.Args[2:])
		return
	case os.Args[1] == "client":
		client(os.Args[2:])
		return
	case os.Args[1] == "version":
		fmt.Printf("Go %s crypto/tls\n", strings.TrimPrefix(runtime.Version(), "go"))
		return
	}
	fmt.Fprintln(os.Stderr, "usage: go-tls server|client|version [flags] (go-tls server -h)")
	os.Exit(2)
}
