/*
 * A small TLS client on mbedTLS 2.28 (libmbedtls-dev), in the shape of mbedTLS's ssl_client1 example: TLS 1.2
 * (mbedTLS 2.28 has no TLS 1.3 client), the server's chain verified against CA_PEM (MBEDTLS_SSL_VERIFY_REQUIRED)
 * and its name against "localhost" (mbedtls_ssl_set_hostname; also sent as SNI), ALPN http/1.1, a client
 * certificate sent when the server asks for one. It sends what it reads on stdin and prints what it receives,
 * until the peer closes or it is killed.
 *
 *   mbedtls-client HOST PORT CA_PEM [CLIENT_CHAIN CLIENT_KEY]
 *   mbedtls-client --version
 *
 * Exit code 0 when the connection ended with the peer's close_notify after a completed handshake, 1 otherwise.
 */
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void fail(const char *what, int ret) {
  char msg[200];
  mbedtls_strerror(ret, msg, sizeof msg);
  fprintf(stderr, "mbedtls-client: %s failed: -0x%04x %s\n", what, (unsigned)-ret, msg);
}

int main(int argc, char *argv[]) {
  if (argc == 2 && strcmp(argv[1], "--version") == 0) {
    char v[32];
    mbedtls_version_get_string(v);
    printf("mbedtls-client on mbed TLS %s\n", v);
    return 0;
  }
  if (argc != 4 && argc != 6) {
    fprintf(stderr, "usage: mbedtls-client HOST PORT CA_PEM [CLIENT_CHAIN CLIENT_KEY]\n");
    return 2;
  }
  mbedtls_net_context net;
  mbedtls_entropy_context entropy;
  mbedtls_ctr_drbg_context drbg;
  mbedtls_ssl_context ssl;
  mbedtls_ssl_config conf;
  mbedtls_x509_crt ca, own;
  mbedtls_pk_context key;
  mbedtls_net_init(&net);
  mbedtls_entropy_init(&entropy);
  mbedtls_ctr_drbg_init(&drbg);
  mbedtls_ssl_init(&ssl);
  mbedtls_ssl_config_init(&conf);
  mbedtls_x509_crt_init(&ca);
  mbedtls_x509_crt_init(&own);
  mbedtls_pk_init(&key);

  int ret;
  const char *pers = "tls-harness mbedtls-client";
  if ((ret = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, (const unsigned char *)pers, strlen(pers))) != 0) { fail("seeding the RNG", ret); return 1; }
  if ((ret = mbedtls_x509_crt_parse_file(&ca, argv[3])) != 0) { fail("loading the CA", ret); return 1; }
  if ((ret = mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT)) != 0) { fail("config", ret); return 1; }
  mbedtls_ssl_conf_min_version(&conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3); /* TLS 1.2 */
  mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_REQUIRED);
  mbedtls_ssl_conf_ca_chain(&conf, &ca, NULL);
  mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, &drbg);
  if (argc == 6) {
    if ((ret = mbedtls_x509_crt_parse_file(&own, argv[4])) != 0) { fail("loading the client certificate", ret); return 1; }
    if ((ret = mbedtls_pk_parse_keyfile(&key, argv[5], NULL)) != 0) { fail("loading the client key", ret); return 1; }
    if ((ret = mbedtls_ssl_conf_own_cert(&conf, &own, &key)) != 0) { fail("setting the client certificate", ret); return 1; }
  }
  static const char *alpn[] = {"http/1.1", NULL};
  mbedtls_ssl_conf_alpn_protocols(&conf, alpn);
  if ((ret = mbedtls_ssl_setup(&ssl, &conf)) != 0) { fail("setup", ret); return 1; }
  if ((ret = mbedtls_ssl_set_hostname(&ssl, "localhost")) != 0) { fail("set_hostname", ret); return 1; } /* the test certificates' name */

  if ((ret = mbedtls_net_connect(&net, argv[1], argv[2], MBEDTLS_NET_PROTO_TCP)) != 0) { fail("connect", ret); return 1; }
  int one = 1;
  setsockopt(net.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  mbedtls_ssl_set_bio(&ssl, &net, mbedtls_net_send, mbedtls_net_recv, NULL);

  while ((ret = mbedtls_ssl_handshake(&ssl)) != 0) {
    if (ret != MBEDTLS_ERR_SSL_WANT_READ && ret != MBEDTLS_ERR_SSL_WANT_WRITE) {
      fail("the handshake", ret);
      uint32_t flags = mbedtls_ssl_get_verify_result(&ssl);
      if (flags != 0 && flags != (uint32_t)-1) {
        char info[512];
        mbedtls_x509_crt_verify_info(info, sizeof info, "  ", flags);
        fprintf(stderr, "mbedtls-client: certificate verification:\n%s", info);
      }
      return 1;
    }
  }
  fprintf(stderr, "mbedtls-client: handshake complete, %s %s\n", mbedtls_ssl_get_version(&ssl), mbedtls_ssl_get_ciphersuite(&ssl));

  int stdin_open = 1, status = 1;
  unsigned char buf[16384];
  for (;;) {
    if (mbedtls_ssl_get_bytes_avail(&ssl) == 0) {
      struct pollfd fds[2] = {{net.fd, POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
      if (poll(fds, stdin_open ? 2 : 1, -1) < 0) {
        if (errno == EINTR) continue;
        break;
      }
      if (stdin_open && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
        ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
        if (n <= 0) stdin_open = 0; /* keep the connection: the peer ends it, or we are killed */
        else {
          size_t off = 0;
          while (off < (size_t)n) {
            ret = mbedtls_ssl_write(&ssl, buf + off, (size_t)n - off);
            if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE) continue;
            if (ret < 0) break;
            off += (size_t)ret;
          }
          if (ret < 0) { fail("write", ret); break; }
        }
      }
      if (!(fds[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    }
    ret = mbedtls_ssl_read(&ssl, buf, sizeof buf);
    if (ret > 0) {
      fwrite(buf, 1, (size_t)ret, stdout);
      fflush(stdout);
      continue;
    }
    if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE) continue;
    if (ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
      fprintf(stderr, "mbedtls-client: close_notify received\n");
      mbedtls_ssl_close_notify(&ssl);
      status = 0;
    } else if (ret == 0) {
      fprintf(stderr, "mbedtls-client: the server closed the connection\n");
    } else {
      fail("read", ret);
    }
    break;
  }
  mbedtls_net_free(&net);
  mbedtls_ssl_free(&ssl);
  mbedtls_ssl_config_free(&conf);
  return status;
}
