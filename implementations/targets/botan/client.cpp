// A small TLS client on Botan 2 (libbotan-2-dev), in the shape of Botan's TLS client example: it connects to
// HOST:PORT, verifies the server's chain against the CA file and the name "localhost" (Botan's default
// Callbacks::tls_verify_cert_chain: the handshake fails with an alert when either check fails), sends what it
// reads on stdin and prints what it receives, until the peer closes or it is killed.
//
//   botan-client HOST PORT CA_PEM POLICY [CLIENT_CHAIN CLIENT_KEY]
//   botan-client --version
//
// POLICY is a Botan text policy file (botan/policy.txt). CLIENT_CHAIN/CLIENT_KEY: a certificate sent when the
// server asks for one (a CertificateRequest whose types fit its key). Exit code 0 when the connection ended
// after a completed handshake and a close_notify, 1 otherwise.
//
// Why not `botan tls_client`: that command prints the validation result and goes on with the handshake
// whatever it is (a wrong name or an unknown CA does not stop it).
#include <botan/auto_rng.h>
#include <botan/certstor.h>
#include <botan/credentials_manager.h>
#include <botan/data_src.h>
#include <botan/pkcs8.h>
#include <botan/tls_alert.h>
#include <botan/tls_callbacks.h>
#include <botan/tls_client.h>
#include <botan/tls_exceptn.h>
#include <botan/tls_policy.h>
#include <botan/tls_session_manager.h>
#include <botan/version.h>
#include <botan/x509cert.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

namespace {

int sock = -1;
bool handshake_done = false;
bool got_close_notify = false;

class Callbacks : public Botan::TLS::Callbacks {
 public:
  void tls_emit_data(const uint8_t data[], size_t size) override {
    while (size > 0) {
      ssize_t n = ::send(sock, data, size, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw std::runtime_error(std::string("send: ") + std::strerror(errno));
      }
      data += n;
      size -= static_cast<size_t>(n);
    }
  }
  void tls_record_received(uint64_t, const uint8_t data[], size_t size) override {
    std::fwrite(data, 1, size, stdout);
    std::fflush(stdout);
  }
  void tls_alert(Botan::TLS::Alert alert) override {
    std::fprintf(stderr, "botan-client: alert received: %s\n", alert.type_string().c_str());
    if (alert.type() == Botan::TLS::Alert::CLOSE_NOTIFY) got_close_notify = true;
  }
  bool tls_session_established(const Botan::TLS::Session& session) override {
    std::fprintf(stderr, "botan-client: handshake complete, %s %s\n", session.version().to_string().c_str(),
                 session.ciphersuite().to_string().c_str());
    handshake_done = true;
    return false;  // nothing to resume in a later process: do not keep the session
  }
};

class Credentials : public Botan::Credentials_Manager {
 public:
  Credentials(const std::string& ca, const std::string& chain, const std::string& key, Botan::RandomNumberGenerator& rng) {
    m_trusted.add_certificate(Botan::X509_Certificate(ca));
    if (!chain.empty()) {
      Botan::DataSource_Stream in(chain);
      while (!in.end_of_data()) {
        try {
          m_chain.push_back(Botan::X509_Certificate(in));
        } catch (const std::exception&) {
          break;  // trailing whitespace after the last certificate
        }
      }
      m_key.reset(Botan::PKCS8::load_key(key, rng));
    }
  }
  std::vector<Botan::Certificate_Store*> trusted_certificate_authorities(const std::string&, const std::string&) override {
    return {&m_trusted};
  }
  std::vector<Botan::X509_Certificate> cert_chain(const std::vector<std::string>& cert_key_types, const std::string& type,
                                                  const std::string&) override {
    if (type != "tls-client" || !m_key) return {};
    for (const auto& t : cert_key_types)
      if (t == m_key->algo_name()) return m_chain;
    return {};
  }
  Botan::Private_Key* private_key_for(const Botan::X509_Certificate&, const std::string&, const std::string&) override {
    return m_key.get();
  }

 private:
  Botan::Certificate_Store_In_Memory m_trusted;
  std::vector<Botan::X509_Certificate> m_chain;
  std::unique_ptr<Botan::Private_Key> m_key;
};

}  // namespace

int main(int argc, char* argv[]) {
  if (argc == 2 && std::strcmp(argv[1], "--version") == 0) {
    std::printf("botan-client on %s\n", Botan::short_version_string().c_str());
    return 0;
  }
  if (argc != 5 && argc != 7) {
    std::fprintf(stderr, "usage: botan-client HOST PORT CA_PEM POLICY [CLIENT_CHAIN CLIENT_KEY]\n");
    return 2;
  }
  const std::string host = argv[1];
  const int port = std::atoi(argv[2]);
  try {
    Botan::AutoSeeded_RNG rng;
    Credentials creds(argv[3], argc == 7 ? argv[5] : "", argc == 7 ? argv[6] : "", rng);
    std::ifstream policy_file(argv[4]);
    if (!policy_file) throw std::runtime_error(std::string("cannot read ") + argv[4]);
    Botan::TLS::Text_Policy policy(policy_file);
    Botan::TLS::Session_Manager_In_Memory sessions(rng);
    Callbacks callbacks;

    sock = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    if (sock < 0 || ::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1 ||
        ::connect(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      std::fprintf(stderr, "botan-client: cannot connect to %s:%d: %s\n", host.c_str(), port, std::strerror(errno));
      return 1;
    }
    int one = 1;
    ::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

    // The name sent as SNI and checked against the certificate: the test certificates are for "localhost".
    Botan::TLS::Client client(callbacks, sessions, creds, policy, rng, Botan::TLS::Server_Information("localhost", port),
                              Botan::TLS::Protocol_Version::latest_tls_version(), {"http/1.1"});

    bool stdin_open = true;
    std::vector<uint8_t> buf(16384), pending;
    while (!client.is_closed()) {
      pollfd fds[2] = {{sock, POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
      if (::poll(fds, stdin_open ? 2 : 1, -1) < 0) {
        if (errno == EINTR) continue;
        throw std::runtime_error("poll failed");
      }
      if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t n = ::recv(sock, buf.data(), buf.size(), 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
          std::fprintf(stderr, "botan-client: the server closed the connection\n");
          break;
        }
        client.received_data(buf.data(), static_cast<size_t>(n));
        if (client.is_active() && !pending.empty()) {
          client.send(pending.data(), pending.size());
          pending.clear();
        }
      }
      if (stdin_open && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
        ssize_t n = ::read(STDIN_FILENO, buf.data(), buf.size());
        if (n <= 0) {
          stdin_open = false;  // keep the connection: the peer ends it, or we are killed
        } else if (client.is_active()) {
          client.send(buf.data(), static_cast<size_t>(n));
        } else {
          pending.insert(pending.end(), buf.begin(), buf.begin() + n);  // sent once the handshake is done
        }
      }
    }
    ::close(sock);
    return handshake_done && got_close_notify ? 0 : 1;
  } catch (const std::exception& e) {
    // Botan's channel has already sent the fatal alert for the error (tls_emit_data) before it throws.
    std::fprintf(stderr, "botan-client: %s\n", e.what());
    if (sock >= 0) ::close(sock);
    return 1;
  }
}
